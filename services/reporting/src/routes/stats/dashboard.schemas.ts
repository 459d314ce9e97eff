import { z } from 'zod';
import { FOUR_FIRSTS } from '@yuqing/shared';

const PeriodSchema = z.object({ from: z.string(), to: z.string(), fromLocal: z.string(), toLocal: z.string() });

/** One line of a per-day chart: a code, its label, and a count for each of `days`. */
const DaySeriesSchema = z.object({ key: z.string().nullable(), label: z.string(), total: z.number(), counts: z.array(z.number()) });

const ComplianceSchema = z.object({
  key: z.string(),
  label: z.string(),
  onTime: z.number(),
  late: z.number(),
  overdue: z.number(),
  pending: z.number(),
  /** Kept deadlines among those decided (on time, late, overdue); null when none is decided yet. */
  rate: z.number().nullable(),
});

export const DashboardSchema = z.object({
  period: PeriodSchema,
  /** Beijing calendar days of the period, `YYYY-MM-DD`; every series has a count for each. */
  days: z.array(z.string()),
  /** Incidents received per day (merged ones not counted: they were the same event). */
  perDay: z.object({ byTier: z.array(DaySeriesSchema), byDistrict: z.array(DaySeriesSchema), byTopic: z.array(DaySeriesSchema) }),
  /** Deadline compliance of the period's incidents' tasks, per tier and per step (task kind). */
  compliance: z.object({ total: ComplianceSchema, byTier: z.array(ComplianceSchema), byKind: z.array(ComplianceSchema) }),
  /** The four firsts as distributions of their delays from intake. */
  fourFirsts: z.array(
    z.object({
      first: z.enum(FOUR_FIRSTS),
      label: z.string(),
      applicable: z.number(),
      reached: z.number(),
      pending: z.number(),
      bins: z.array(z.object({ label: z.string(), fromMs: z.number(), toMs: z.number().nullable(), count: z.number() })),
    }),
  ),
});
