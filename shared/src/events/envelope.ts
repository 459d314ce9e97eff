import { z } from 'zod';
import { TIERS } from '../domain/vocabulary';
import { EVENT_DATA, type EventDataMap } from './event-data';
import { EVENT_SCHEMA_VERSION, EVENT_TYPES, type EventType } from './event-types';

/**
 * The envelope every event travels in (ARCHITECTURE.md), published on
 * `incident.<type>` with `Nats-Msg-Id` = `id`. Ids are derived from the workflow id
 * and a step sequence, so a retried activity publishes nothing twice.
 */
const envelopeFields = {
  id: z.string().min(1).max(300),
  incidentId: z.uuid(),
  tier: z.enum(TIERS),
  occurredAt: z.iso.datetime({ offset: true }),
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
};

const variants = EVENT_TYPES.map((type) => z.strictObject({ ...envelopeFields, type: z.literal(type), data: EVENT_DATA[type] })) as unknown as [
  z.ZodType<IncidentEvent>,
  ...z.ZodType<IncidentEvent>[],
];

/** Validates any incident event, typed by its `type`. */
export const IncidentEventSchema: z.ZodType<IncidentEvent> = z.discriminatedUnion(
  'type',
  variants as unknown as Parameters<typeof z.discriminatedUnion>[1],
) as unknown as z.ZodType<IncidentEvent>;

export type IncidentEventOf<T extends EventType> = {
  readonly id: string;
  readonly type: T;
  readonly incidentId: string;
  readonly tier: (typeof TIERS)[number];
  readonly occurredAt: string;
  readonly schemaVersion: typeof EVENT_SCHEMA_VERSION;
  readonly data: EventDataMap[T];
};

export type IncidentEvent = { [T in EventType]: IncidentEventOf<T> }[EventType];

/** Parses an event; throws a ZodError naming the bad fields. */
export function parseIncidentEvent(value: unknown): IncidentEvent {
  return IncidentEventSchema.parse(value);
}
