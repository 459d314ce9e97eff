import { z } from 'zod';
import { ROLES, TASK_KINDS, TASK_PHASES, TASK_STATUSES } from '../domain/vocabulary';

/** Who did something. Every state change names one (DOMAIN.md, discipline). */
export const ActorSchema = z.strictObject({
  /** The key's id (API client or personal key), or `system:<component>`. */
  id: z.string().min(1).max(200),
  kind: z.enum(['person', 'client', 'system']),
  name: z.string().max(200).optional(),
  /** The person behind a personal key: two keys of one person are one person. */
  personId: z.string().max(100).optional(),
  unitId: z.string().max(100).optional(),
  roles: z.array(z.enum(ROLES)).optional(),
  /** The HTTP request that carried the action, so the audit log ties the two. */
  requestId: z.string().max(200).optional(),
  /** 代办: the opinion office took this step for another unit, and why. */
  onBehalfOf: z.strictObject({ unitId: z.string().max(100), reason: z.string().max(2_000) }).optional(),
});
export type Actor = z.infer<typeof ActorSchema>;

export const ApprovalSchema = z.strictObject({
  role: z.enum(ROLES),
  actor: ActorSchema,
  at: z.iso.datetime({ offset: true }),
  comment: z.string().max(2000).optional(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/**
 * A task as the workflow holds it and as events carry it. One name everywhere:
 * a "task" is one step of an incident's escalation path owned by a role or a unit.
 * `key` is `kind` for incident-wide tasks and `kind:unitId` for per-unit tasks.
 */
export const TaskSnapshotSchema = z.strictObject({
  key: z.string().min(1).max(200),
  kind: z.enum(TASK_KINDS),
  owner: z.enum(ROLES),
  unitId: z.string().max(100).optional(),
  status: z.enum(TASK_STATUSES),
  mandatory: z.boolean(),
  phase: z.enum(TASK_PHASES),
  /** Increases each time a repeating task opens again. */
  round: z.number().int().min(1),
  openedAt: z.iso.datetime({ offset: true }).optional(),
  dueAt: z.iso.datetime({ offset: true }).optional(),
  doneAt: z.iso.datetime({ offset: true }).optional(),
  doneBy: ActorSchema.optional(),
  overdue: z.boolean(),
  lapsedAt: z.iso.datetime({ offset: true }).optional(),
  approvalsNeeded: z.array(z.enum(ROLES)),
  approvals: z.array(ApprovalSchema),
  /** Why a task was cancelled: tier lowered, reassigned, force-closed. */
  cancelReason: z.string().max(500).optional(),
  /** Workflow-local sequence of the last change; consumers keep the newest. */
  seq: z.number().int().min(0),
});
export type TaskSnapshot = z.infer<typeof TaskSnapshotSchema>;

/** A unit given the incident to handle (plan §5: warning to department and/or district). */
export const AssignmentSchema = z.strictObject({
  unitId: z.string().min(1).max(100),
  unitName: z.string().max(200),
  role: z.enum(['responsible_department', 'district_bureau']),
});
export type Assignment = z.infer<typeof AssignmentSchema>;
