import { z } from 'zod';
import { INCIDENT_STATUSES, TIERS } from '../domain/vocabulary';
import { AssignmentSchema, TaskSnapshotSchema } from '../task/task.schema';

/**
 * The incident as its workflow holds it now: answered by the `state` query and
 * by every Update, and by dispatch's action routes as they are.
 */
export const IncidentStateSchema = z.object({
  incidentId: z.string(),
  tier: z.enum(TIERS),
  /** When it reached its tier: the clocks of the tier's path count from here. */
  tierSince: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  /** `city@3` or `city@3+230103@1`; null until the workflow has read the policy. */
  policyVersion: z.string().nullable(),
  assignments: z.array(AssignmentSchema),
  tasks: z.array(TaskSnapshotSchema),
  overdue: z.boolean(),
  closedReason: z.string().optional(),
});
export type IncidentState = z.infer<typeof IncidentStateSchema>;
