import { z } from 'zod';
import { AssignmentSchema, INCIDENT_STATUSES, RELEASE_FORMS, ReportSchema, ROLES, TaskSnapshotSchema, text as wellFormed, TIERS } from '@yuqing/shared';

/** Bodies of the human steps; each is forwarded to the workflow as an Update. */
export const IncidentParams = z.object({ id: z.uuid({ message: 'an incident id (UUID)' }) });
export const TaskParams = IncidentParams.extend({ taskKey: z.string().min(1).max(200) });

const text = (max: number) => wellFormed(max).pipe(z.string().trim().min(1));

export const AcknowledgeBody = z.strictObject({
  /** Defaults to the caller's own unit. */
  unitId: z.string().max(100).optional(),
});

export const ReportBody = ReportSchema.extend({ unitId: z.string().max(100).optional() });

export const CompleteTaskBody = z.strictObject({
  /** The record: digest text, meeting minutes, guidance given, assessment of the trend… */
  note: wellFormed(20_000).pipe(z.string().trim()).optional(),
  /** For the digest (摘报): the proposed handling (拟办意见). */
  proposal: wellFormed(5_000).pipe(z.string().trim()).optional(),
  url: z.url({ protocol: /^https?$/ }).max(2_000).optional(),
});

export const ApproveBody = z.strictObject({
  role: z.enum(ROLES),
  comment: wellFormed(2_000).pipe(z.string().trim()).optional(),
});

export const ReleaseBody = z.strictObject({
  form: z.enum(RELEASE_FORMS),
  summary: text(5_000),
  url: z.url({ protocol: /^https?$/ }).max(2_000).optional(),
});

export const ReclassifyBody = z.strictObject({ tier: z.enum(TIERS), reason: text(2_000) });

export const ReassignBody = z.strictObject({
  fromUnitId: z.string().min(1).max(100),
  toUnitId: z.string().min(1).max(100),
  reason: text(2_000),
});

export const CloseBody = z.strictObject({
  reason: text(2_000),
  /** Close although mandatory tasks are open; they are cancelled with the reason. */
  force: z.boolean().optional(),
});

export const UpdateHeaders = z.object({
  /** Reused as the Temporal update id: retrying with the same key applies the step once. */
  'idempotency-key': z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/).optional(),
});

/** The workflow's answer: the incident as it stands after the step. */
export const IncidentStateSchema = z
  .object({
    incidentId: z.string(),
    tier: z.enum(TIERS),
    tierSince: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    policyVersion: z.string().nullable(),
    assignments: z.array(AssignmentSchema),
    tasks: z.array(TaskSnapshotSchema),
    overdue: z.boolean(),
    closedReason: z.string().optional(),
  });
