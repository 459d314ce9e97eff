import { describeEvent, EVENT_LABELS, EVENT_SCHEMA_VERSION, formatBeijing, type IncidentEvent, type TimelineEntryRow } from '@yuqing/shared';

/** The event a timeline row was made from (rows keep the envelope's fields). */
export function eventOfEntry(row: TimelineEntryRow): IncidentEvent {
  return {
    id: row.eventId,
    type: row.type,
    incidentId: row.incidentId,
    tier: row.tier,
    occurredAt: row.occurredAt.toISOString(),
    schemaVersion: EVENT_SCHEMA_VERSION,
    data: row.data,
  } as IncidentEvent;
}

/**
 * One timeline entry as people read it: the event's label and one line of
 * Chinese (`describeEvent`), its time in Beijing time, and the event's data.
 * The timeline, the archive and the live stream all show entries this way.
 */
export function timelineEntryView(event: IncidentEvent, names: ReadonlyMap<string, string>) {
  return {
    eventId: event.id,
    incidentId: event.incidentId,
    type: event.type,
    label: EVENT_LABELS[event.type],
    tier: event.tier,
    occurredAt: event.occurredAt,
    occurredAtLocal: formatBeijing(event.occurredAt),
    text: describeEvent(event, (id) => names.get(id)),
    ...(event.data.actor ? { actor: event.data.actor } : {}),
    data: event.data as Record<string, unknown>,
  };
}

export type TimelineEntryView = ReturnType<typeof timelineEntryView>;
