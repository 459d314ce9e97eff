import { sql, type Kysely } from 'kysely';

/**
 * Two records that make accepted work certain:
 * - `action_requests`: the Idempotency-Key of a human step, scoped to who sent it,
 *   the incident and the action, with the hash of what was asked, so a retry is the
 *   same Temporal Update and a reused key with another body is refused;
 * - `reports`: every sighting a caller sent, with its metrics and time, against the
 *   incident it opened or joined (an incident's metrics history). Existing incidents
 *   get the report that opened them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('action_requests')
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('action_requests_pk', ['principal_id', 'incident_id', 'action', 'key'])
    .execute();

  await db.schema
    .createTable('reports')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('source', 'jsonb', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('district_code', 'text')
    .addColumn('metrics', 'jsonb', (c) => c.notNull())
    .addColumn('flags', 'jsonb', (c) => c.notNull())
    .addColumn('suggested_tier', 'text')
    .addColumn('request_hash', 'text', (c) => c.notNull())
    /** `opened`, `joined` or `reassessed` (ARCHITECTURE.md, correlation contract). */
    .addColumn('outcome', 'text', (c) => c.notNull())
    /** Which rule tied it to its incident, and how strongly (1 for an exact match). */
    .addColumn('match_rule', 'text', (c) => c.notNull())
    .addColumn('match_score', 'real', (c) => c.notNull().defaultTo(1))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index reports_incident_received on reports (incident_id, received_at)`.execute(db);
  // The same sighting sent again (same caller id, same body) is one report.
  await sql`create unique index reports_caller_body on reports (client_id, external_id, request_hash) where external_id is not null`.execute(db);
  await sql`
    insert into reports (id, incident_id, client_id, external_id, source, title, summary, topic, district_code, metrics, flags, suggested_tier, request_hash, outcome, match_rule, received_at)
    select gen_random_uuid(), id, client_id, external_id, source, title, summary, topic, district_code, metrics, flags, suggested_tier, request_hash, 'opened', 'opened', created_at
    from incidents`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('reports').ifExists().execute();
  await db.schema.dropTable('action_requests').ifExists().execute();
}
