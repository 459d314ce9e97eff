import { z } from 'zod';
import type { TaskRow } from '../db/tables';
import { ROLE_LABELS, TASK_LABELS, TASK_STATUS_LABELS } from '../domain/labels.zh';
import { formatBeijing } from '../domain/time';
import { CONTENT_FIELDS, ROLES, TASK_CONTENT, TASK_KINDS, TASK_STATUSES } from '../domain/vocabulary';
import { ApprovalSchema } from '../task/task.schema';
import type { UnitNames } from './unit-names';

/** A task as every API shows it: codes with their Chinese labels, times also in Beijing time. */
export const TaskViewSchema = z.object({
  incidentId: z.string(),
  key: z.string(),
  kind: z.enum(TASK_KINDS),
  label: z.string(),
  /** The role that owns the task. */
  owner: z.enum(ROLES),
  ownerLabel: z.string(),
  unitId: z.string().nullable(),
  unitName: z.string().nullable(),
  status: z.enum(TASK_STATUSES),
  statusLabel: z.string(),
  mandatory: z.boolean(),
  round: z.number(),
  openedAt: z.string().nullable(),
  dueAt: z.string().nullable(),
  dueAtLocal: z.string().nullable(),
  doneAt: z.string().nullable(),
  overdue: z.boolean(),
  lapsedAt: z.string().nullable(),
  approvalsNeeded: z.array(z.enum(ROLES)),
  approvals: z.array(ApprovalSchema),
  cancelReason: z.string().nullable(),
  /** What taking the step records (TASK_CONTENT): the fields its form asks for, each required. */
  contentFields: z.array(z.enum(CONTENT_FIELDS)),
  /** The workflow's sequence of this snapshot: of two snapshots of a task, the higher is newer. */
  seq: z.number(),
});
export type TaskView = z.infer<typeof TaskViewSchema>;

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function taskView(t: TaskRow, names: UnitNames): TaskView {
  return {
    incidentId: t.incidentId,
    key: t.key,
    kind: t.kind,
    label: TASK_LABELS[t.kind],
    owner: t.owner,
    ownerLabel: ROLE_LABELS[t.owner],
    unitId: t.unitId,
    unitName: t.unitId ? (names.get(t.unitId) ?? null) : null,
    status: t.status,
    statusLabel: TASK_STATUS_LABELS[t.status],
    mandatory: t.mandatory,
    round: t.round,
    openedAt: iso(t.openedAt),
    dueAt: iso(t.dueAt),
    dueAtLocal: t.dueAt ? formatBeijing(t.dueAt) : null,
    doneAt: iso(t.doneAt),
    overdue: t.overdue,
    lapsedAt: iso(t.lapsedAt),
    approvalsNeeded: t.approvalsNeeded,
    approvals: t.approvals,
    cancelReason: t.cancelReason,
    contentFields: [...(TASK_CONTENT[t.kind] ?? [])],
    seq: t.seq,
  };
}
