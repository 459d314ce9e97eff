import { z } from 'zod';
import { ROLES, TASK_STATUSES } from '@yuqing/shared';

export const TaskListQuery = z.strictObject({
  /** A unit's tasks, e.g. `district-230103` or `dept-food-safety`. */
  unit: z.string().max(100).optional(),
  role: z.enum(ROLES).optional(),
  /** Comma-separated; default: open and waiting. */
  status: z
    .string()
    .max(100)
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum([...TASK_STATUSES, 'all'])))
    .optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const TaskViewSchema = z.object({
  incidentId: z.string(),
  incidentTitle: z.string(),
  incidentTier: z.string(),
  district: z.string().nullable(),
  topic: z.string(),
  key: z.string(),
  kind: z.string(),
  label: z.string(),
  ownerRole: z.string(),
  ownerLabel: z.string(),
  unitId: z.string().nullable(),
  status: z.string(),
  statusLabel: z.string(),
  mandatory: z.boolean(),
  round: z.number(),
  openedAt: z.string().nullable(),
  dueAt: z.string().nullable(),
  doneAt: z.string().nullable(),
  overdue: z.boolean(),
  lapsedAt: z.string().nullable(),
  approvalsNeeded: z.array(z.string()),
  approvals: z.array(z.unknown()),
  cancelReason: z.string().nullable(),
});

export const TaskListSchema = z.object({ items: z.array(TaskViewSchema) });
