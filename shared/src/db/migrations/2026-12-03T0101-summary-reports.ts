import { sql, type Kysely } from 'kysely';
import { oneOf } from './checks';

/**
 * The periodic summary reports to the leaders (舆情日报/周报, issue 14): one row per
 * kind and period with its figures and its PDF; a Temporal Schedule's workflow
 * writes it. Their notifications go through the same deliveries as an incident's
 * (the delivery worker sends, retries and dead-letters them): a delivery is now
 * about an incident's event or a summary report, never both.
 */
const EVENT_TYPES = [
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
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('summary_reports')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('daily', 'weekly')`))
    .addColumn('period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('period_end', 'timestamptz', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('figures', 'jsonb', (c) => c.notNull())
    .addColumn('pdf', 'bytea', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A retried activity finds the report it made.
    .addUniqueConstraint('summary_reports_kind_period', ['kind', 'period_end'])
    .addCheckConstraint('summary_reports_period', sql`period_start < period_end`)
    .execute();
  await db.schema.createIndex('summary_reports_by_time').on('summary_reports').columns(['period_end']).execute();

  await sql`
    alter table deliveries
      alter column incident_id drop not null,
      alter column tier drop not null,
      add column summary_report_id uuid references summary_reports (id)`.execute(db);
  await sql`alter table deliveries drop constraint if exists deliveries_event_type_check`.execute(db);
  await sql`
    alter table deliveries add constraint deliveries_event_type_check check (
      (incident_id is not null and tier is not null and summary_report_id is null and ${oneOf('event_type', EVENT_TYPES)})
      or (incident_id is null and tier is null and summary_report_id is not null and event_type = 'summary_report'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from delivery_attempts where delivery_id in (select id from deliveries where summary_report_id is not null)`.execute(db);
  await sql`delete from deliveries where summary_report_id is not null`.execute(db);
  await sql`alter table deliveries drop constraint if exists deliveries_event_type_check`.execute(db);
  await sql`alter table deliveries add constraint deliveries_event_type_check check (${oneOf('event_type', EVENT_TYPES)})`.execute(db);
  await sql`
    alter table deliveries
      drop column summary_report_id,
      alter column incident_id set not null,
      alter column tier set not null`.execute(db);
  await db.schema.dropTable('summary_reports').execute();
}
