import { z } from 'zod';
import { FLAGS, TIERS, TOPICS, toDistrictCode, type DistrictCode } from '../domain/vocabulary';
import { MetricsSchema, SourceSchema } from '../events/event-data';
import { optionalText, requiredText } from '../schemas/text.schema';

/**
 * The intake contract (ARCHITECTURE.md): one incident as the monitoring platform
 * or a district bureau reports it. Unknown fields are refused so that a typo in a
 * field name is an error the caller sees, not data silently lost.
 */
export const IncidentInputSchema = z.strictObject({
  source: SourceSchema,
  title: requiredText(300),
  summary: optionalText(10_000).optional(),
  topic: z.enum(TOPICS),
  /** GB/T 2260 code (`230103`) or name (`南岗区`); stored as the code. */
  district: z
    .string()
    .max(20)
    .transform((value, ctx): DistrictCode => {
      const code = toDistrictCode(value);
      if (!code) {
        ctx.addIssue({ code: 'custom', message: `unknown district "${value}": use a Harbin division code such as 230103 or a name such as 南岗区` });
        return z.NEVER;
      }
      return code;
    })
    .optional(),
  metrics: MetricsSchema.default({}),
  flags: z
    .array(z.enum(FLAGS))
    .max(FLAGS.length)
    .default([])
    .refine((flags) => new Set(flags).size === flags.length, 'each flag at most once'),
  suggestedTier: z.enum(TIERS).optional(),
});
export type IncidentInput = z.infer<typeof IncidentInputSchema>;
export type IncidentInputRaw = z.input<typeof IncidentInputSchema>;

/**
 * One sighting (`POST /v1/reports`, ARCHITECTURE.md correlation contract): the
 * incident's fields plus the caller's own grouping key. Reports of one client
 * with the same `eventKey` belong to one incident while it is live.
 */
export const ReportInputSchema = IncidentInputSchema.extend({
  eventKey: requiredText(200).optional(),
});
export type ReportInput = z.infer<typeof ReportInputSchema>;
export type ReportInputRaw = z.input<typeof ReportInputSchema>;

/** The most incidents one batch call may carry. */
export const MAX_BATCH = 100;

export const IncidentBatchSchema = z.strictObject({
  incidents: z.array(z.unknown()).min(1).max(MAX_BATCH),
});
