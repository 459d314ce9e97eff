import { z } from 'zod';
import { CHANNEL_KINDS, DELIVERY_STATUSES, IncidentIdSchema } from '@yuqing/shared';

export const DeliveryParams = z.object({ id: z.uuid({ message: 'a delivery id (UUID)' }).transform((s) => s.toLowerCase()) });

export const DeliveryListQuery = z.strictObject({
  incident: IncidentIdSchema.optional(),
  /** A unit's deliveries (the caller's own unless coordinating). */
  unit: z.string().max(100).optional(),
  /** The deliveries of one event. */
  event: z.string().max(300).optional(),
  /** `dead`: the dead-letter list, waiting for an operator's retry. */
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const DeliveryViewSchema = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  eventLabel: z.string(),
  /** Null for a summary report's delivery (舆情日报/周报): `summaryReportId` names it. */
  incidentId: z.string().nullable(),
  tier: z.string().nullable(),
  summaryReportId: z.string().nullable(),
  channelId: z.string(),
  channelKind: z.enum(CHANNEL_KINDS),
  channelLabel: z.string(),
  unitId: z.string(),
  personId: z.string().nullable(),
  personName: z.string().nullable(),
  roles: z.array(z.string()),
  title: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  statusLabel: z.string(),
  /** Attempts since queued or since the operator's last retry. */
  attempts: z.number(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  deadAt: z.string().nullable(),
  /** From the causing event to the receiver's acceptance. */
  latencyMs: z.number().nullable(),
});
export const DeliveryListSchema = z.object({ items: z.array(DeliveryViewSchema) });

export const DeliveryDetailSchema = DeliveryViewSchema.extend({
  message: z.object({ title: z.string(), text: z.string(), markdown: z.string(), links: z.record(z.string(), z.string()), dueAt: z.string().optional() }),
  /** Every attempt, oldest first (the delivery log). */
  log: z.array(
    z.object({
      attempt: z.number(),
      startedAt: z.string(),
      durationMs: z.number(),
      ok: z.boolean(),
      statusCode: z.number().nullable(),
      error: z.string().nullable(),
    }),
  ),
});
