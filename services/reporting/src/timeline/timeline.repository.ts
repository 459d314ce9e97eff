import { sql, type Transaction } from 'kysely';
import type { Database, Db, IncidentEvent, TimelineEntryRow } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

/** One entry per event, in one statement; an event already there is left as it is. */
export async function insertTimelineEntries(trx: Executor, events: readonly IncidentEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto('timelineEntries')
    .values(
      events.map((event) => ({
        eventId: event.id,
        incidentId: event.incidentId,
        type: event.type,
        tier: event.tier,
        occurredAt: event.occurredAt,
        data: JSON.stringify(event.data),
      })),
    )
    .onConflict((oc) => oc.column('eventId').doNothing())
    .execute();
}

/**
 * An incident's entries in the order they happened (event id breaks ties: it carries
 * the workflow's sequence), with those of the incidents merged into it (and into
 * them): a merged incident's timeline moves over, each entry keeping its incident id.
 */
export async function listTimeline(db: Executor, incidentId: string): Promise<TimelineEntryRow[]> {
  return db
    .selectFrom('timelineEntries')
    .select(['eventId', 'incidentId', 'type', 'tier', 'occurredAt', 'data', 'recordedAt'])
    .where(
      sql<boolean>`incident_id in (
        with recursive merged(id) as (select ${incidentId}::uuid union select i.id from incidents i join merged m on i.merged_into = m.id)
        select id from merged)`,
    )
    .orderBy('occurredAt')
    .orderBy('eventId')
    .execute();
}
