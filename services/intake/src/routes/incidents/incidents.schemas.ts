import { z } from 'zod';
import {
  DISTRICT_CODES,
  FLAGS,
  IncidentIdSchema,
  IncidentViewSchema as SharedIncidentViewSchema,
  INCIDENT_STATUSES,
  MATCH_RULES,
  MAX_BATCH,
  MetricsSchema,
  REPORT_OUTCOMES,
  SourceSchema,
  TimeInputSchema,
  TIERS,
  TOPICS,
} from '@yuqing/shared';

const links = z.object({ self: z.string(), timeline: z.string(), temporalUi: z.string() });

const IncidentSchema = z.object({
  id: z.uuid(),
  tier: z.enum(TIERS),
  status: z.enum(INCIDENT_STATUSES),
  workflowId: z.string(),
  links,
});

/** 202 (new) or 200 (a repeat, or a new sighting of the same incident). */
export const AcceptedSchema = IncidentSchema.extend({
  /** The report this request stored (or, on a repeat, stored the first time). */
  reportId: z.uuid(),
  /** `opened` a new incident, `joined` it with new figures, or `reassessed` it to a higher tier. */
  outcome: z.enum(REPORT_OUTCOMES),
});

export const IncidentViewSchema = SharedIncidentViewSchema.extend({ links });

export const IncidentParamsSchema = z.object({ id: IncidentIdSchema });

export const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional(),
});

export const ListQuerySchema = z.strictObject({
  tier: z.enum(TIERS).optional(),
  status: z.enum(INCIDENT_STATUSES).optional(),
  district: z.enum(DISTRICT_CODES).optional(),
  topic: z.enum(TOPICS).optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: TimeInputSchema.optional(),
});

export const BatchResultSchema = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      /** HTTP status of this item: 202 accepted, 200 duplicate, 4xx refused. */
      status: z.number().int(),
      incident: AcceptedSchema.optional(),
      problem: z.unknown().optional(),
    }),
  ),
});

export const ReportViewSchema = z.object({
  id: z.uuid(),
  receivedAt: z.string(),
  outcome: z.enum(REPORT_OUTCOMES),
  outcomeLabel: z.string(),
  /** How it was tied to the incident: `opened`, `caller_id`, `event_key`, `source_url`, `text` or `split`. */
  matchRule: z.enum(MATCH_RULES),
  matchRuleLabel: z.string(),
  /** 1 for an exact key; the text similarity (0–1) for `text`. */
  matchScore: z.number(),
  externalId: z.string().nullable(),
  eventKey: z.string().nullable(),
  source: SourceSchema,
  title: z.string(),
  summary: z.string().nullable(),
  district: z.enum(DISTRICT_CODES).nullable(),
  metrics: MetricsSchema,
  incidentSpreadPerHour: z.number(),
  flags: z.array(z.enum(FLAGS)),
  suggestedTier: z.enum(TIERS).nullable(),
});
export const ReportListSchema = z.object({ items: z.array(ReportViewSchema) });

export { MAX_BATCH };
