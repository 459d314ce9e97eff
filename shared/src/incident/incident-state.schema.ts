import { z } from 'zod';
import { CONTENT_FIELDS, INCIDENT_STATUSES, TASK_KINDS, TIERS } from '../domain/vocabulary';
import { ActorSchema, AssignmentSchema, TaskSnapshotSchema } from '../task/task.schema';

/** One version of written work that others approve (talking points, the response plan): the text each approver saw. */
export const WritingSchema = z.object({
  taskKind: z.enum(TASK_KINDS),
  version: z.number().int().min(1),
  content: z.partialRecord(z.enum(CONTENT_FIELDS), z.string()),
  actor: ActorSchema,
  at: z.string(),
});
export type Writing = z.infer<typeof WritingSchema>;

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
  /** The incident's district now (a hand-off to another district's bureau moves it). */
  district: z.string().optional(),
  /** Hand-off requests the opinion office has not yet decided, by the unit asking. */
  handOffs: z.array(z.object({ unitId: z.string(), toUnitId: z.string().optional(), reason: z.string(), taskKey: z.string() })).optional(),
  /** Every version of the written work others approve, oldest first (the archive shows each). */
  writings: z.array(WritingSchema).optional(),
});
export type IncidentState = z.infer<typeof IncidentStateSchema>;
