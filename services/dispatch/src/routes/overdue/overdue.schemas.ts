import { z } from 'zod';
import { TimeInputSchema } from '@yuqing/shared';
import { TaskViewSchema } from '../tasks/tasks.schemas';

export const OverdueQuery = z.strictObject({
  /** Count alerts raised since then (default: all). */
  since: TimeInputSchema.optional(),
});

export const OverdueSummaryItem = z.object({
  unitId: z.string(),
  unitName: z.string(),
  unitKind: z.string(),
  overdueTasks: z.number(),
  oldestDueAt: z.string().nullable(),
  lapses: z.number(),
  reminders: z.number(),
  escalations: z.number(),
  unresolvedLapses: z.number(),
});
export const OverdueSummarySchema = z.object({ items: z.array(OverdueSummaryItem) });

export const UnitOverdueSchema = z.object({
  unitId: z.string(),
  summary: OverdueSummaryItem.nullable(),
  /** Open tasks past their deadline, soonest deadline first. */
  tasks: z.array(TaskViewSchema),
  /** Lapses, reminders and escalations raised against the unit, newest first. */
  alerts: z.array(
    z.object({
      id: z.string(),
      incidentId: z.string(),
      incidentTitle: z.string(),
      taskKey: z.string(),
      taskKind: z.string(),
      taskLabel: z.string(),
      kind: z.string(),
      kindLabel: z.string(),
      stage: z.number().nullable(),
      dueAt: z.string(),
      raisedAt: z.string(),
      lateMs: z.number(),
      resolvedAt: z.string().nullable(),
    }),
  ),
});
