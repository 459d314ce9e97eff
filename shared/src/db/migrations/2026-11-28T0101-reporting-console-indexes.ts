import { sql, type Kysely } from 'kysely';

/**
 * Indexes for the operators' console and the reports (reporting service): the
 * incident list's filters, open tasks by deadline, and alerts over a period.
 * The read models themselves already exist.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Console list: filter by district or topic, newest first; the overdue filter is selective.
  await sql`create index incidents_district_created on incidents (district_code, created_at desc)`.execute(db);
  await sql`create index incidents_topic_created on incidents (topic, created_at desc)`.execute(db);
  await sql`create index incidents_overdue_created on incidents (created_at desc) where overdue`.execute(db);
  // Open tasks past their deadline, across all incidents (the few open ones, by due time).
  await sql`create index tasks_open_due on tasks (due_at) where status = 'open'`.execute(db);
  // Lapses and escalations over a period, grouped by the accountable unit.
  await sql`create index alerts_raised_at on alerts (raised_at, kind)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['alerts_raised_at', 'tasks_open_due', 'incidents_overdue_created', 'incidents_topic_created', 'incidents_district_created']) {
    await sql`drop index if exists ${sql.id(name)}`.execute(db);
  }
}
