import { sql, type Kysely } from 'kysely';

/**
 * A report's first statement asks for the newest report of its event key and of its
 * source URL whose incident is live. Indexed by the key alone, PostgreSQL read every
 * report of the key and sorted them: an event's 650th report read 650 rows (1.2 ms),
 * a cost that grew with the event. With the time in the index it walks the key's
 * reports newest first and stops at the first one of a live incident.
 *
 * The new indexes are built before the old ones are dropped, so reports can still be
 * read while they build (writes wait for each build; dropping the old ones, last,
 * locks the table only until the migrations commit). On a large table, build them
 * beforehand without blocking writes, and this migration only drops the old ones:
 *   create index concurrently reports_event_key_by_time on reports (client_id, event_key, received_at) where event_key is not null;
 *   create index concurrently reports_source_url_by_time on reports (source_url, received_at);
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists reports_event_key_by_time on reports (client_id, event_key, received_at) where event_key is not null`.execute(db);
  await sql`create index if not exists reports_source_url_by_time on reports (source_url, received_at)`.execute(db);
  await sql`drop index if exists reports_event_key`.execute(db);
  await sql`drop index if exists reports_source_url`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists reports_event_key on reports (client_id, event_key) where event_key is not null`.execute(db);
  await sql`create index if not exists reports_source_url on reports (source_url)`.execute(db);
  await sql`drop index if exists reports_event_key_by_time`.execute(db);
  await sql`drop index if exists reports_source_url_by_time`.execute(db);
}
