import { sql, type Kysely } from 'kysely';

/**
 * The accountability record (问责记录, plan §8(五)3): one row per lapse and per
 * escalation against the late unit, with who was on duty at that moment and the
 * outcome the office records (约谈, 通报, 免责 with a note, by whom and when).
 * Reporting's consumer writes each with the event's timeline entry; the lapses and
 * escalations already raised are carried over from `alerts`, without a duty record
 * (who was on duty then was not kept).
 */
const CAUSES = ['deadline_lapsed', 'escalated'];
const OUTCOMES = ['talk', 'circular', 'exempt'];
const list = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('accountability_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'uuid', (c) => c.notNull())
    .addColumn('cause', 'text', (c) => c.notNull().check(sql`cause in (${list(CAUSES)})`))
    // Task kinds and roles are checked where they are written (tasks, alerts): a new kind must not stop this record.
    .addColumn('task_key', 'text', (c) => c.notNull())
    .addColumn('task_kind', 'text', (c) => c.notNull())
    .addColumn('stage', 'integer')
    .addColumn('owner', 'text')
    .addColumn('unit_id', 'text')
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('overdue_ms', 'bigint', (c) => c.notNull())
    .addColumn('on_duty', 'jsonb', (c) =>
      c
        .notNull()
        .defaultTo(sql`'[]'::jsonb`)
        .check(sql`jsonb_typeof(on_duty) = 'array'`),
    )
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in (${list(OUTCOMES)})`))
    .addColumn('outcome_note', 'text')
    .addColumn('outcome_by', 'jsonb')
    .addColumn('outcome_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('accountability_records_outcome_complete', sql`(outcome is null) = (outcome_at is null) and (outcome is null) = (outcome_by is null)`)
    .execute();
  await db.schema.createIndex('accountability_records_by_unit').on('accountability_records').columns(['unit_id', 'occurred_at']).execute();
  await db.schema.createIndex('accountability_records_by_time').on('accountability_records').column('occurred_at').execute();
  await sql`
    insert into accountability_records (id, incident_id, cause, task_key, task_kind, stage, owner, unit_id, due_at, occurred_at, overdue_ms)
    select id, incident_id, case kind when 'deadline_lapsed' then 'deadline_lapsed' else 'escalated' end,
           task_key, task_kind, stage, owner, unit_id, due_at, raised_at, late_ms
      from alerts where kind in ('deadline_lapsed', 'escalation')
    on conflict (id) do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('accountability_records').ifExists().execute();
}
