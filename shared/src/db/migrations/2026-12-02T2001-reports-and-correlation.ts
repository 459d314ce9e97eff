import { sql, type Kysely } from 'kysely';
import { normaliseSourceUrl } from '../../correlation/source-url';

/**
 * Reports and incidents as two things (issue 15):
 * - a report's figures in typed columns (the jsonb `metrics` goes), with what
 *   correlation needs: the caller's `event_key`, the normalised `source_url`,
 *   whether it carries its source's `current` figures (a source measured again
 *   supersedes its earlier report), whether its text is one of its incident's
 *   `exemplar` wordings, and the incident's spread per hour right after it (the
 *   surge baseline);
 * - an incident's `last_report_at` (the correlation window runs from it),
 *   `last_surge_at`, `merged_into`, the status `merged`, and the `event_keys` its
 *   reports carry (the text rule never joins across a caller's own keys);
 * - an Idempotency-Key points at the report it stored (incidents merge and split,
 *   the report stays the same report);
 * - an incident's figures kept as it goes, so a joining report costs the same
 *   whether it is the second or the two-thousandth: `incident_totals` (running sums
 *   over its sources' current reports) and `incident_minutes` (reports and spread
 *   per minute, the sliding window's buckets, with the lowest incident spread seen
 *   in each: the surge baseline), both in a few shards so that concurrent reports
 *   of one incident do not wait for each other;
 * - the new event types (`surge`, `merged`, `absorbed`, `split`) allowed where
 *   event types are stored.
 * Lists are written out, not imported, so this migration stays what it was.
 */
const INCIDENT_STATUSES = ['received', 'handling', 'closed', 'archived', 'merged'];
const MATCH_RULES = ['opened', 'caller_id', 'event_key', 'source_url', 'text', 'split'];
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
];
const OLD_EVENT_TYPES = EVENT_TYPES.slice(0, 19);

const oneOf = (column: string, values: readonly string[]) => sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);

async function replaceCheck(db: Kysely<unknown>, table: string, name: string, check: ReturnType<typeof sql.raw>): Promise<void> {
  await sql`alter table ${sql.table(table)} drop constraint if exists ${sql.id(name)}`.execute(db);
  await sql`alter table ${sql.table(table)} add constraint ${sql.id(name)} check (${check})`.execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table reports
      add column report_count double precision check (report_count >= 0),
      add column reach double precision check (reach >= 0),
      add column spread_per_hour double precision check (spread_per_hour >= 0),
      add column negative_ratio double precision check (negative_ratio between 0 and 1),
      add column important_media boolean,
      add column event_key text,
      add column source_url text,
      add column current boolean not null default true,
      add column exemplar boolean not null default false,
      add column incident_spread_per_hour double precision not null default 0`.execute(db);
  await sql`
    update reports set
      report_count = (metrics->>'reportCount')::double precision,
      reach = (metrics->>'reach')::double precision,
      spread_per_hour = (metrics->>'spreadPerHour')::double precision,
      negative_ratio = (metrics->>'negativeRatio')::double precision,
      important_media = (metrics->>'importantMedia')::boolean,
      exemplar = (match_rule = 'opened')`.execute(db);
  const rows = await sql<{ id: string; url: string }>`select id, source->>'url' as url from reports`.execute(db);
  for (const r of rows.rows) await sql`update reports set source_url = ${normaliseSourceUrl(r.url ?? '')} where id = ${r.id}`.execute(db);
  // One current report per source and incident: the newest.
  await sql`
    update reports r set current = (r.id = (
      select x.id from reports x where x.incident_id = r.incident_id and x.source_url = r.source_url order by x.received_at desc, x.id desc limit 1))`.execute(
    db,
  );
  await sql`alter table reports alter column source_url set not null, drop column metrics`.execute(db);
  await sql`alter table reports add constraint reports_match_rule_check check (${oneOf('match_rule', MATCH_RULES)})`.execute(db);
  await sql`alter table reports add constraint reports_match_score_check check (match_score between 0 and 1)`.execute(db);
  await sql`create index reports_event_key on reports (client_id, event_key) where event_key is not null`.execute(db);
  await sql`create index reports_source_url on reports (source_url)`.execute(db);
  // One current report per source and incident: two re-measurements of one post racing each other cannot both count.
  await sql`create unique index reports_current_source on reports (incident_id, source_url) where current`.execute(db);
  await sql`create index reports_exemplars on reports (incident_id) where exemplar`.execute(db);

  await sql`
    alter table incidents
      add column last_report_at timestamptz,
      add column last_surge_at timestamptz,
      add column merged_into uuid references incidents (id),
      add column event_keys text[] not null default '{}'`.execute(db);
  await sql`
    update incidents i set event_keys = array(
      select distinct r.client_id || ' ' || r.event_key from reports r where r.incident_id = i.id and r.event_key is not null)`.execute(db);
  await sql`update incidents i set last_report_at = coalesce((select max(received_at) from reports r where r.incident_id = i.id), i.created_at)`.execute(db);
  await sql`alter table incidents alter column last_report_at set not null, alter column last_report_at set default now()`.execute(db);
  await replaceCheck(db, 'incidents', 'incidents_status_check', oneOf('status', INCIDENT_STATUSES));
  // The text rule's candidates: live incidents of a topic. Not by last_report_at, which every joining report
  // moves: an incident's row stays out of the indexes it is not in, so those updates are heap-only.
  await sql`create index incidents_live_by_topic on incidents (topic) where status in ('received', 'handling')`.execute(db);

  await sql`
    create table incident_totals (
      incident_id uuid not null references incidents (id),
      shard smallint not null default 0,
      sources integer not null default 0,
      report_count double precision not null default 0,
      reach double precision not null default 0,
      reach_known integer not null default 0,
      negative_weighted double precision not null default 0,
      negative_weight double precision not null default 0,
      important_media_known integer not null default 0,
      important_media_seen integer not null default 0,
      primary key (incident_id, shard))`.execute(db);
  await sql`
    create table incident_minutes (
      incident_id uuid not null references incidents (id),
      minute timestamptz not null,
      shard smallint not null default 0,
      reports integer not null default 0,
      spread double precision not null default 0,
      min_incident_spread double precision,
      primary key (incident_id, minute, shard))`.execute(db);
  await sql`
    insert into incident_totals
    select incident_id, 0, count(*), coalesce(sum(report_count), 0), coalesce(sum(reach), 0), count(reach),
      coalesce(sum(negative_ratio * greatest(coalesce(reach, 0), 1)) filter (where negative_ratio is not null), 0),
      coalesce(sum(greatest(coalesce(reach, 0), 1)) filter (where negative_ratio is not null), 0),
      count(important_media), count(*) filter (where important_media)
    from reports where current group by incident_id`.execute(db);
  await sql`
    insert into incident_minutes
    select incident_id, date_trunc('minute', received_at), 0, count(*), coalesce(sum(spread_per_hour) filter (where current), 0), min(incident_spread_per_hour)
    from reports group by 1, 2`.execute(db);

  // Room on each page for the new versions of rows every report updates (heap-only updates, no index churn).
  await sql`alter table incidents set (fillfactor = 80)`.execute(db);
  await sql`alter table incident_totals set (fillfactor = 50)`.execute(db);
  await sql`alter table incident_minutes set (fillfactor = 70)`.execute(db);

  await sql`alter table idempotency_keys add column report_id uuid references reports (id)`.execute(db);
  await sql`
    update idempotency_keys k set report_id = (
      select r.id from reports r where r.incident_id = k.incident_id and r.client_id = k.client_id and r.request_hash = k.request_hash
      order by r.received_at limit 1)`.execute(db);

  await replaceCheck(db, 'timeline_entries', 'timeline_entries_type_check', oneOf('type', EVENT_TYPES));
  await replaceCheck(db, 'deliveries', 'deliveries_event_type_check', oneOf('event_type', EVENT_TYPES));
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await replaceCheck(db, 'deliveries', 'deliveries_event_type_check', oneOf('event_type', OLD_EVENT_TYPES));
  await replaceCheck(db, 'timeline_entries', 'timeline_entries_type_check', oneOf('type', OLD_EVENT_TYPES));
  await sql`alter table idempotency_keys drop column report_id`.execute(db);
  await sql`alter table incidents reset (fillfactor)`.execute(db);
  await sql`drop table if exists incident_minutes`.execute(db);
  await sql`drop table if exists incident_totals`.execute(db);
  await sql`update incidents set status = 'archived' where status = 'merged'`.execute(db);
  await replaceCheck(db, 'incidents', 'incidents_status_check', oneOf('status', INCIDENT_STATUSES.slice(0, 4)));
  await sql`drop index if exists incidents_live_by_topic`.execute(db);
  await sql`alter table incidents drop column event_keys, drop column merged_into, drop column last_surge_at, drop column last_report_at`.execute(db);
  await sql`alter table reports add column metrics jsonb not null default '{}'::jsonb`.execute(db);
  await sql`
    update reports set metrics = jsonb_strip_nulls(jsonb_build_object(
      'reportCount', report_count, 'reach', reach, 'spreadPerHour', spread_per_hour,
      'negativeRatio', negative_ratio, 'importantMedia', important_media))`.execute(db);
  await sql`update reports set match_rule = 'caller_id' where match_rule not in ('opened', 'caller_id')`.execute(db);
  await sql`alter table reports drop constraint if exists reports_match_rule_check, drop constraint if exists reports_match_score_check`.execute(db);
  await sql`
    alter table reports
      drop column report_count, drop column reach, drop column spread_per_hour, drop column negative_ratio,
      drop column important_media, drop column event_key, drop column source_url, drop column current,
      drop column exemplar, drop column incident_spread_per_hour`.execute(db);
}
