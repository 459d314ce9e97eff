import { z } from 'zod';
import { DISTRICT_CODES, NextEscalationSchema, ROLES, TASK_STATUSES, TaskViewSchema as SharedTaskViewSchema, TIERS, TOPICS } from '@yuqing/shared';

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
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A task on a unit's to-do list: the shared view, with its incident. */
export const TaskViewSchema = SharedTaskViewSchema.extend({
  incidentTitle: z.string(),
  incidentTier: z.enum(TIERS),
  district: z.enum(DISTRICT_CODES).nullable(),
  topic: z.enum(TOPICS),
  /** For an open task with a deadline: the reminder or escalation that comes next if nobody acts (its policy's chain). */
  next: NextEscalationSchema.nullable(),
});

export const TaskListSchema = z.object({ items: z.array(TaskViewSchema) });
