/**
 * Every event type of the `INCIDENTS` stream. Each is published on
 * `incident.<type>`; its data schema is in `event-data.ts`. Pure data (imported by
 * workflow code).
 */
export const EVENT_TYPES = [
  'received',
  'assessed',
  'dispatched',
  'acknowledged',
  'report_submitted',
  'digest_ready',
  'approval_recorded',
  'task_completed',
  'released',
  'task_returned',
  'task_added',
  'tier_changed',
  'reassigned',
  'deadline_lapsed',
  'reminder_sent',
  'escalated',
  'closed',
  'archived',
  'notified',
  'surge',
  'merged',
  'absorbed',
  'split',
  'hand_off_requested',
  'hand_off_refused',
  'talking_points_renewed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Version of the envelope and data schemas; bump on a breaking change. */
export const EVENT_SCHEMA_VERSION = 1;

/** The subject an event is published on; `prefix` isolates tests (`t123.`). */
export function eventSubject(type: EventType, prefix = ''): string {
  return `${prefix}incident.${type}`;
}

/** The subject filter covering every incident event. */
export function incidentSubjects(prefix = ''): string {
  return `${prefix}incident.>`;
}
