import { z } from 'zod';
import { EVENT_TYPES, IncidentIdSchema, TIERS } from '@yuqing/shared';

export const IncidentParams = z.object({ id: IncidentIdSchema });

export const TimelineEntrySchema = z.object({
  eventId: z.string(),
  incidentId: z.string(),
  type: z.enum(EVENT_TYPES),
  label: z.string(),
  tier: z.enum(TIERS),
  occurredAt: z.string(),
  /** The same moment in Beijing time, for people. */
  occurredAtLocal: z.string(),
  text: z.string(),
  actor: z.unknown().optional(),
  data: z.record(z.string(), z.unknown()),
});

export const TimelineSchema = z.object({ incidentId: z.string(), entries: z.array(TimelineEntrySchema) });
