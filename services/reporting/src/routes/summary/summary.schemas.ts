import { z } from 'zod';
import { SUMMARY_KINDS } from '@yuqing/shared';

export const SummaryListQuery = z.strictObject({
  kind: z.enum(SUMMARY_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const SummaryParams = z.object({ id: z.uuid({ message: 'a summary report id (UUID)' }).transform((s) => s.toLowerCase()) });

const Count = z.object({ key: z.string().nullable(), label: z.string(), count: z.number() });

/** The figures of a summary report (see summary/summary-figures.ts); stored read-only. */
export const SummaryFiguresSchema = z.object({
  period: z.object({ from: z.string(), to: z.string(), fromLocal: z.string(), toLocal: z.string() }),
  incidents: z.object({
    total: z.number(),
    byTier: z.array(Count).readonly(),
    byDistrict: z.array(Count).readonly(),
    byTopic: z.array(Count).readonly(),
    byStatus: z.array(Count).readonly(),
  }),
  open: z.object({ incidents: z.number(), overdueIncidents: z.number(), overdueTasks: z.number() }),
  lapsesByUnit: z
    .array(z.object({ unitId: z.string().nullable(), unitName: z.string(), lapses: z.number(), unresolved: z.number(), escalations: z.number() }))
    .readonly(),
  fourFirsts: z
    .array(
      z.object({
        first: z.string(),
        label: z.string(),
        applicable: z.number(),
        reached: z.number(),
        pending: z.number(),
        p50Ms: z.number().nullable(),
        p90Ms: z.number().nullable(),
      }),
    )
    .readonly(),
});

export const SummaryReportSchema = z.object({
  id: z.string(),
  kind: z.enum(SUMMARY_KINDS),
  kindLabel: z.string(),
  title: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  createdAt: z.string(),
  createdAtLocal: z.string(),
  figures: SummaryFiguresSchema,
  links: z.object({ pdf: z.string() }),
});

export const SummaryListSchema = z.object({ items: z.array(SummaryReportSchema) });
