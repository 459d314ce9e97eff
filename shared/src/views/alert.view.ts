import { z } from 'zod';
import type { AlertRow } from '../db/tables';
import { ALERT_KIND_LABELS, ROLE_LABELS, TASK_LABELS } from '../domain/labels.zh';
import { formatBeijing } from '../domain/time';
import { ALERT_KINDS, ROLES, TASK_KINDS } from '../domain/vocabulary';
import type { UnitNames } from './unit-names';

const RecipientViewSchema = z.object({ role: z.enum(ROLES), unitId: z.string().optional() });

/** An alert held against the task's owner (plan §8: every lapse is on record). */
export const AlertViewSchema = z.object({
  id: z.string(),
  incidentId: z.string(),
  kind: z.enum(ALERT_KINDS),
  kindLabel: z.string(),
  taskKey: z.string(),
  taskKind: z.enum(TASK_KINDS),
  taskLabel: z.string(),
  stage: z.number().nullable(),
  /** The task's owner: the role, and its unit. */
  owner: z.enum(ROLES),
  ownerLabel: z.string(),
  unitId: z.string().nullable(),
  unitName: z.string().nullable(),
  notified: z.array(RecipientViewSchema),
  dueAt: z.string(),
  raisedAt: z.string(),
  raisedAtLocal: z.string(),
  lateMs: z.number(),
  resolvedAt: z.string().nullable(),
});
export type AlertView = z.infer<typeof AlertViewSchema>;

export function alertView(a: AlertRow, names: UnitNames): AlertView {
  return {
    id: a.id,
    incidentId: a.incidentId,
    kind: a.kind,
    kindLabel: ALERT_KIND_LABELS[a.kind],
    taskKey: a.taskKey,
    taskKind: a.taskKind,
    taskLabel: TASK_LABELS[a.taskKind],
    stage: a.stage,
    owner: a.owner,
    ownerLabel: ROLE_LABELS[a.owner],
    unitId: a.unitId,
    unitName: a.unitId ? (names.get(a.unitId) ?? null) : null,
    notified: a.notified,
    dueAt: a.dueAt.toISOString(),
    raisedAt: a.raisedAt.toISOString(),
    raisedAtLocal: formatBeijing(a.raisedAt),
    lateMs: a.lateMs,
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
  };
}
