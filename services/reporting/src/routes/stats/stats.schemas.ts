import { z } from 'zod';
import { FOUR_FIRSTS, ROLES, TASK_KINDS, TimeInputSchema, TIERS } from '@yuqing/shared';
import { codeList } from '../incidents/incidents.schemas';

const DAY_MS = 86_400_000;
/** Longest period one call may cover. */
export const MAX_PERIOD_DAYS = 3_660;

const isoTime = TimeInputSchema;

const periodFields = { from: isoTime.optional(), to: isoTime.optional() };

/** A period `[from, to)`, by default the 30 days up to now: `to` after `from`, and not too long. */
function checkPeriod(q: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx): void {
  if (!q.from || !q.to) return;
  const span = Date.parse(q.to) - Date.parse(q.from);
  if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be later than from' });
  else if (span > MAX_PERIOD_DAYS * DAY_MS) ctx.addIssue({ code: 'custom', path: ['from'], message: `the period may cover at most ${MAX_PERIOD_DAYS} days` });
}

/** The period a query asked for, filling in the defaults. */
export function periodOf(q: { from?: string | undefined; to?: string | undefined }): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
  return { from, to };
}

export const StatsQuery = z.strictObject(periodFields).superRefine(checkPeriod);

export const FourFirstsQuery = z
  .strictObject({
    ...periodFields,
    /** Comma-separated tiers. */
    tier: codeList(TIERS).optional(),
    /** How many incidents to list (the summary covers all of the period). */
    limit: z.coerce.number().int().min(1).max(1_000).default(200),
  })
  .superRefine(checkPeriod);

const PeriodSchema = z.object({ from: z.string(), to: z.string(), fromLocal: z.string(), toLocal: z.string() });
const CountSchema = z.object({ key: z.string().nullable(), label: z.string(), count: z.number() });

export const FourFirstSummarySchema = z.object({
  first: z.enum(FOUR_FIRSTS),
  label: z.string(),
  /** Incidents whose path has this first. */
  applicable: z.number(),
  reached: z.number(),
  /** Applicable but not reached yet. */
  pending: z.number(),
  p50Ms: z.number().nullable(),
  p90Ms: z.number().nullable(),
});

export const StatsSchema = z.object({
  period: PeriodSchema,
  /** Incidents received in the period. */
  incidents: z.object({ total: z.number(), byTier: z.array(CountSchema), byStatus: z.array(CountSchema), byDistrict: z.array(CountSchema) }),
  /** Open tasks past their deadline now (regardless of the period), most overdue first. */
  openOverdueTasks: z.object({
    total: z.number(),
    items: z.array(
      z.object({
        incidentId: z.string(),
        incidentTitle: z.string(),
        incidentTier: z.enum(TIERS),
        key: z.string(),
        kind: z.enum(TASK_KINDS),
        label: z.string(),
        owner: z.enum(ROLES),
        ownerLabel: z.string(),
        unitId: z.string().nullable(),
        unitName: z.string().nullable(),
        dueAt: z.string(),
        dueAtLocal: z.string(),
        overdueMs: z.number(),
      }),
    ),
  }),
  /** Lapses recorded against each unit in the period (plan §8), most first. */
  lapsesByUnit: z.array(
    z.object({
      unitId: z.string().nullable(),
      unitName: z.string().nullable(),
      roles: z.array(z.string()),
      roleLabels: z.array(z.string()),
      lapses: z.number(),
      unresolved: z.number(),
      escalations: z.number(),
    }),
  ),
  /** The four firsts (plan §5) over the incidents received in the period. */
  fourFirsts: z.array(FourFirstSummarySchema),
});

export const FourFirstsSchema = z.object({
  period: PeriodSchema,
  summary: z.array(FourFirstSummarySchema),
  total: z.number(),
  items: z.array(
    z.object({
      incidentId: z.string(),
      title: z.string(),
      tier: z.string(),
      tierLabel: z.string(),
      district: z.string().nullable(),
      receivedAt: z.string(),
      receivedAtLocal: z.string(),
      procedureBasis: z.enum(['emergency_procedure', 'acknowledge']),
      /** Delay from intake to each first; null when not reached or not on the incident's path. */
      delaysMs: z.object(
        Object.fromEntries(FOUR_FIRSTS.map((f) => [f, z.number().nullable()])) as Record<(typeof FOUR_FIRSTS)[number], z.ZodNullable<z.ZodNumber>>,
      ),
    }),
  ),
});
