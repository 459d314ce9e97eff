import { z } from 'zod';
import { INCIDENT_STATUSES, MAX_BATCH, TIERS, TOPICS } from '@yuqing/shared';

const links = z.object({ self: z.string(), timeline: z.string(), temporalUi: z.string() });

/** 202 (new) or 200 (the same incident, on a retry). */
export const AcceptedSchema = z.object({
  id: z.uuid(),
  tier: z.enum(TIERS),
  status: z.enum(INCIDENT_STATUSES),
  workflowId: z.string(),
  links,
});

export const IncidentViewSchema = AcceptedSchema.extend({
  tierLabel: z.string(),
  statusLabel: z.string(),
  overdue: z.boolean(),
  title: z.string(),
  summary: z.string().nullable(),
  source: z.record(z.string(), z.unknown()),
  topic: z.enum(TOPICS),
  topicLabel: z.string(),
  district: z.string().nullable(),
  districtName: z.string().nullable(),
  metrics: z.record(z.string(), z.unknown()),
  flags: z.array(z.string()),
  suggestedTier: z.string().nullable(),
  assessment: z.unknown(),
  policyVersion: z.string().nullable(),
  externalId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
  archivedAt: z.string().nullable(),
});

export const IncidentParamsSchema = z.object({ id: z.uuid({ message: 'an incident id (UUID)' }) });

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
  district: z.string().regex(/^\d{6}$/).optional(),
  topic: z.enum(TOPICS).optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.iso.datetime({ offset: true }).optional(),
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

export { MAX_BATCH };
