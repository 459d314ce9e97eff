import { sql, type Kysely } from 'kysely';

/**
 * Dispatch's record of the written work it forwards (plan §5(二) 签转, §7(一) 报送):
 * the digest with its proposed handling, and each version of the talking points
 * and of the response plan, with when it was approved. Dispatch's consumer writes
 * it from the events, so that what a sign-off or a report upward sends never waits
 * for another service's read model. Incidents already running are filled in from
 * reporting's timeline.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('writings')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'uuid', (c) => c.notNull())
    // Task kinds are checked where they are written (tasks): a new kind must not stop this record.
    .addColumn('task_kind', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('proposal', 'text')
    .addColumn('written_by', 'jsonb', (c) => c.notNull())
    .addColumn('written_at', 'timestamptz', (c) => c.notNull())
    .addColumn('approved_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('writings_by_incident').on('writings').columns(['incident_id', 'task_kind', 'version']).execute();
  await sql`
    insert into writings (event_id, incident_id, task_kind, version, text, proposal, written_by, written_at)
    select event_id, incident_id, 'digest',
           row_number() over (partition by incident_id order by occurred_at, event_id),
           data->>'text', data->>'proposal', data->'actor', occurred_at
      from timeline_entries where type = 'digest_ready'
    on conflict (event_id) do nothing`.execute(db);
  await sql`
    insert into writings (event_id, incident_id, task_kind, version, text, written_by, written_at)
    select event_id, incident_id, data->>'taskKind', (data->>'version')::int, coalesce(data->'content'->>'text', ''), data->'actor', occurred_at
      from timeline_entries where type = 'task_completed' and data ? 'version'
    on conflict (event_id) do nothing`.execute(db);
  await sql`
    update writings w set approved_at = a.occurred_at
      from timeline_entries a
     where a.type = 'approval_recorded' and (a.data->>'complete')::boolean and a.incident_id = w.incident_id
       and (a.data->>'version')::int = w.version
       and w.task_kind = case a.data->>'taskKind' when 'talking_points_approval' then 'talking_points_wording'
                                                  when 'response_plan_approval' then 'response_plan' end`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('writings').ifExists().execute();
}
