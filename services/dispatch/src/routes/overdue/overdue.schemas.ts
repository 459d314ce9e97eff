import { z } from 'zod';
import { AlertViewSchema, TimeInputSchema, UNIT_KINDS } from '@yuqing/shared';
import { TaskViewSchema } from '../tasks/tasks.schemas';

export const OverdueQuery = z.strictObject({
  /** Count alerts raised since then (default: all). */
  since: TimeInputSchema.optional(),
});

export const OverdueSummaryItem = z.object({
  unitId: z.string(),
  unitName: z.string(),
  unitKind: z.enum(UNIT_KINDS),
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
  alerts: z.array(AlertViewSchema.extend({ incidentTitle: z.string() })),
});
