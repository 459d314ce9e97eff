import { sql, type Transaction } from 'kysely';
import { compileOnce } from '../db/database';
import { INCIDENT_COLUMNS, type Database, type IncidentRow } from '../db/tables';
import { assessTier, type Assessment, type Metrics } from '../domain/assessment';
import { metricsFromSums, type ReportSums } from '../domain/metrics';
import { maxTier } from '../domain/tiers';
import { LIVE_STATUSES, type Flag, type Tier } from '../domain/vocabulary';

/** One report's figures, as they count in its incident's totals. */
export interface ReportFigures {
  readonly reportCount: number | null;
  readonly reach: number | null;
  readonly spreadPerHour: number | null;
  readonly negativeRatio: number | null;
  readonly importantMedia: boolean | null;
}

const weight = (f: ReportFigures) => (f.reach && f.reach > 0 ? f.reach : 1);

/** What a report adds to the running totals (negative for one it supersedes). */
function contribution(f: ReportFigures, sign: 1 | -1) {
  return {
    sources: sign,
    reportCount: sign * (f.reportCount ?? 0),
    reach: sign * (f.reach ?? 0),
    reachKnown: f.reach !== null ? sign : 0,
    negativeWeighted: f.negativeRatio !== null ? sign * f.negativeRatio * weight(f) : 0,
    negativeWeight: f.negativeRatio !== null ? sign * weight(f) : 0,
    importantMediaKnown: f.importantMedia !== null ? sign : 0,
    importantMediaSeen: f.importantMedia === true ? sign : 0,
  };
}

/** The incident's sums so far and, before the report being added, its spread window and the surge baseline. */
export interface IncidentSums {
  readonly sums: ReportSums;
  /** The lowest spread per hour the incident had within the window: the surge baseline. */
  readonly baseline: number | null;
}

/**
 * The running totals of an incident opened by this report: its first row (shard 0),
 * stored in the statement that opens it. Joining reports add theirs in `holdAndSum`.
 */
export function openingTotals(incidentId: string, figures: ReportFigures) {
  return { incidentId, shard: 0, ...contribution(figures, 1) };
}

/** What `holdAndSum` found: the sums with the new report counted, the source's earlier report, the incident's exemplars. */
export interface JoinSums extends IncidentSums {
  /** The source's earlier report in the incident, now superseded. */
  readonly superseded: { readonly spreadPerHour: number | null; readonly receivedAt: Date; readonly sameMinute: boolean } | undefined;
  readonly exemplarIds: readonly string[];
}

/** How many shards an incident's running figures are kept in: concurrent reports of one incident seldom wait for each other. */
export const FIGURE_SHARDS = 8;

/** Which incidents take a joining report: besides one neither merged nor merged away, what its match rule asks. */
export interface JoinTerms {
  /** The caller's own post measured again is recorded on its incident in any status; other rules join live incidents only. */
  readonly anyStatus: boolean;
  /** A text match joins an incident only if its last report came after this (the window); undefined for the other rules. */
  readonly lastReportSince: Date | undefined;
}

/**
 * The incident as held: absent when it is gone; `sums` absent when it no longer takes
 * the report, or when it changed while the statement waited for it (`unsettled`: a
 * merge or a split committed meanwhile, so the sums read before are not its own;
 * the statement is run again, now that it is held). Nothing is written without `sums`.
 */
export type Held = { readonly incident: IncidentRow; readonly sums?: JoinSums; readonly unsettled?: true };

/**
 * A joining report's first statement: its incident held with a key-share lock until
 * the transaction ends (reports joining it do not wait for each other, but a merge
 * or a split, which lock it for update, waits for them, and they for it) and, if it
 * still takes the report (`JoinTerms`, decided on the row as locked, so a merge
 * committed meanwhile is seen), the report's figures added without waiting for the
 * incident's other reports: its source's earlier report superseded and taken out of
 * the running totals, this one put in (in a shard of its own), and the incident's
 * sums, its window's reports and spread and its exemplars read. Reports of the
 * incident committing meanwhile are counted by the next one. The caller holds the
 * post's lock (reports of one source URL supersede one another in turn), taken in
 * an earlier statement so this one's snapshot sees the report it supersedes.
 */
export async function holdAndSum(
  trx: Transaction<Database>,
  a: { incidentId: string; sourceUrl: string; added: ReportFigures; windowMs: number; shard: number; terms: JoinTerms },
): Promise<Held | undefined> {
  const plus = contribution(a.added, 1);
  const since = new Date(Date.now() - a.windowMs);
  const { rows } = await heldSums.execute(trx, {
    incidentId: a.incidentId,
    sourceUrl: a.sourceUrl,
    shard: a.shard,
    since,
    plus,
    anyStatus: a.terms.anyStatus,
    lastReportSince: a.terms.lastReportSince ?? new Date(0),
  });
  const r = rows[0];
  if (!r) return undefined;
  const incident = Object.fromEntries(INCIDENT_COLUMNS.map((c) => [c, r[c]])) as IncidentRow;
  if (!r.settled) return { incident, unsettled: true };
  if (!r.joinable) return { incident };
  // The totals read are those committed before this statement: this report's change is added here.
  const old: (ReportFigures & { receivedAt: Date }) | undefined = r.oldReceivedAt
    ? {
        reportCount: r.oldReportCount,
        reach: r.oldReach,
        spreadPerHour: r.oldSpread,
        negativeRatio: r.oldNegativeRatio,
        importantMedia: r.oldImportantMedia,
        receivedAt: r.oldReceivedAt,
      }
    : undefined;
  const minus = old ? contribution(old, -1) : undefined;
  const t = Object.fromEntries((Object.keys(plus) as (keyof typeof plus)[]).map((k) => [k, r[k] + plus[k] + (minus?.[k] ?? 0)])) as typeof plus;
  const leaving = old && old.receivedAt >= since ? (old.spreadPerHour ?? 0) : 0;
  return {
    incident,
    sums: {
      sums: {
        sources: t.sources,
        reportCount: t.reportCount,
        reach: t.reachKnown > 0 ? t.reach : null,
        spreadInWindow: r.windowSpread - leaving + (a.added.spreadPerHour ?? 0),
        reportsInWindow: r.windowReports + 1,
        negativeWeighted: t.negativeWeight > 0 ? t.negativeWeighted : null,
        negativeWeight: t.negativeWeight > 0 ? t.negativeWeight : null,
        importantMedia: t.importantMediaKnown > 0 ? t.importantMediaSeen > 0 : null,
      },
      baseline: r.baseline,
      superseded: old ? { spreadPerHour: old.spreadPerHour, receivedAt: old.receivedAt, sameMinute: r.oldSameMinute } : undefined,
      exemplarIds: r.exemplarIds,
    },
  };
}

const LIVE = sql.join(LIVE_STATUSES.map((s) => sql.lit(s)));
const HELD_COLUMNS = sql.join(INCIDENT_COLUMNS.map((c) => sql.ref(`i.${c}`)));

/** Every joining report runs it: compiled once (compileOnce). */
const heldSums = compileOnce(
  (
    _db,
    a: {
      incidentId: string;
      sourceUrl: string;
      shard: number;
      since: Date;
      plus: ReturnType<typeof contribution>;
      anyStatus: boolean;
      lastReportSince: Date;
    },
  ) =>
    sql<
      IncidentRow & {
        joinable: boolean;
        settled: boolean;
        sources: number;
        reportCount: number;
        reach: number;
        reachKnown: number;
        negativeWeighted: number;
        negativeWeight: number;
        importantMediaKnown: number;
        importantMediaSeen: number;
        oldReportCount: number | null;
        oldReach: number | null;
        oldSpread: number | null;
        oldNegativeRatio: number | null;
        oldImportantMedia: boolean | null;
        oldReceivedAt: Date | null;
        oldSameMinute: boolean;
        windowReports: number;
        windowSpread: number;
        baseline: number | null;
        exemplarIds: string[];
      }
    >`
    with held as (
      select ${HELD_COLUMNS},
        (i.status <> 'merged' and i.merged_into is null and (i.status in (${LIVE}) or ${a.anyStatus}::boolean)
          and i.last_report_at >= ${a.lastReportSince}::timestamptz) as joinable,
        -- The row as locked is the one this statement's snapshot sees: nothing (a merge, a split) changed it while this waited.
        i.xmin = (select s.xmin from incidents s where s.id = ${a.incidentId}) as settled
      from incidents i where i.id = ${a.incidentId}
      for key share),
    old as (
      update reports set current = false
      where incident_id = ${a.incidentId} and source_url = ${a.sourceUrl} and current and (select joinable and settled from held)
      returning report_count, reach, spread_per_hour, negative_ratio, important_media, received_at),
    tot as (
      insert into incident_totals as t
        (incident_id, shard, sources, report_count, reach, reach_known, negative_weighted, negative_weight, important_media_known, important_media_seen)
      select ${a.incidentId}::uuid, ${a.shard}::smallint, 1 - count(old.*),
        ${a.plus.reportCount}::float8 - coalesce(sum(old.report_count), 0), ${a.plus.reach}::float8 - coalesce(sum(old.reach), 0),
        ${a.plus.reachKnown}::int - count(old.reach),
        ${a.plus.negativeWeighted}::float8 - coalesce(sum(old.negative_ratio * greatest(coalesce(old.reach, 0), 1)) filter (where old.negative_ratio is not null), 0),
        ${a.plus.negativeWeight}::float8 - coalesce(sum(greatest(coalesce(old.reach, 0), 1)) filter (where old.negative_ratio is not null), 0),
        ${a.plus.importantMediaKnown}::int - count(old.important_media), ${a.plus.importantMediaSeen}::int - count(*) filter (where old.important_media)
      from (select 1) one left join old on true
      -- An aggregate gives its one row even when nothing is summed: only having keeps it out.
      having (select joinable and settled from held)
      on conflict (incident_id, shard) do update set
        sources = t.sources + excluded.sources, report_count = t.report_count + excluded.report_count, reach = t.reach + excluded.reach,
        reach_known = t.reach_known + excluded.reach_known, negative_weighted = t.negative_weighted + excluded.negative_weighted,
        negative_weight = t.negative_weight + excluded.negative_weight, important_media_known = t.important_media_known + excluded.important_media_known,
        important_media_seen = t.important_media_seen + excluded.important_media_seen
      returning 1)
    select held.*, sums.* from held cross join lateral (
      select
        coalesce(sum(s.sources), 0)::int as sources, coalesce(sum(s.report_count), 0) as report_count, coalesce(sum(s.reach), 0) as reach,
        coalesce(sum(s.reach_known), 0)::int as reach_known, coalesce(sum(s.negative_weighted), 0) as negative_weighted,
        coalesce(sum(s.negative_weight), 0) as negative_weight, coalesce(sum(s.important_media_known), 0)::int as important_media_known,
        coalesce(sum(s.important_media_seen), 0)::int as important_media_seen,
        (select report_count from old) as old_report_count, (select reach from old) as old_reach, (select spread_per_hour from old) as old_spread,
        (select negative_ratio from old) as old_negative_ratio, (select important_media from old) as old_important_media,
        (select received_at from old) as old_received_at,
        coalesce((select date_trunc('minute', received_at) = date_trunc('minute', now()) from old), false) as old_same_minute,
        (select coalesce(sum(reports), 0)::int from incident_minutes where incident_id = ${a.incidentId} and minute >= date_trunc('minute', ${a.since}::timestamptz)) as window_reports,
        (select coalesce(sum(spread), 0) from incident_minutes where incident_id = ${a.incidentId} and minute >= date_trunc('minute', ${a.since}::timestamptz)) as window_spread,
        (select min(min_incident_spread) from incident_minutes where incident_id = ${a.incidentId} and minute >= date_trunc('minute', ${a.since}::timestamptz)) as baseline,
        array(select id from reports where incident_id = ${a.incidentId} and exemplar) as exemplar_ids,
        (select count(*) from tot) as written
      from incident_totals s where s.incident_id = ${a.incidentId}) sums`,
);

/**
 * Puts a stored report into its minute of the window, with the incident's spread per
 * hour just after it (the next reports' baseline); takes a superseded report's
 * spread out of its minute.
 */
export async function addToIncidentMinutes(
  trx: Transaction<Database>,
  incidentId: string,
  added: { readonly spreadPerHour: number | null; readonly incidentSpread: number },
  superseded: { readonly spreadPerHour: number | null; readonly receivedAt: Date } | undefined,
  shard = 0,
): Promise<void> {
  await trx
    .insertInto('incidentMinutes')
    .values({
      incidentId,
      shard,
      minute: sql<Date>`date_trunc('minute', now())`,
      reports: 1,
      spread: added.spreadPerHour ?? 0,
      minIncidentSpread: added.incidentSpread,
    })
    .onConflict((oc) =>
      oc.columns(['incidentId', 'minute', 'shard']).doUpdateSet((eb) => ({
        reports: eb('incidentMinutes.reports', '+', 1),
        spread: eb('incidentMinutes.spread', '+', eb.ref('excluded.spread')),
        minIncidentSpread: sql<number>`least(incident_minutes.min_incident_spread, excluded.min_incident_spread)`,
      })),
    )
    .execute();
  if (superseded?.spreadPerHour) {
    await trx
      .updateTable('incidentMinutes')
      .set((eb) => ({ spread: eb('spread', '-', superseded.spreadPerHour!) }))
      .where('incidentId', '=', incidentId)
      .where('minute', '=', sql<Date>`date_trunc('minute', ${superseded.receivedAt}::timestamptz)`)
      .where(
        'shard',
        '=',
        sql<number>`(select min(shard) from incident_minutes where incident_id = ${incidentId} and minute = date_trunc('minute', ${superseded.receivedAt}::timestamptz))`,
      )
      .execute();
  }
}

/**
 * An incident's figures rebuilt from all its reports (after a merge or a split moved
 * reports): per source only the newest report current, the running totals and the
 * window's minutes recomputed, and its metrics, flags and assessment written to its
 * row. The tier on the row is the workflow's: only the assessment is rewritten.
 */
export async function reaggregate(
  trx: Transaction<Database>,
  incidentId: string,
  spreadWindowMs: number,
): Promise<{ readonly metrics: Metrics; readonly flags: Flag[]; readonly assessment: Assessment; readonly reports: number }> {
  await sql`
    update reports r set current = (r.id = (
      select x.id from reports x where x.incident_id = r.incident_id and x.source_url = r.source_url
      order by x.received_at desc, x.id desc limit 1))
    where r.incident_id = ${incidentId}`.execute(trx);
  await trx.deleteFrom('incidentTotals').where('incidentId', '=', incidentId).execute();
  await trx.deleteFrom('incidentMinutes').where('incidentId', '=', incidentId).execute();
  await sql`
    insert into incident_totals
    select ${incidentId}::uuid, 0, count(*), coalesce(sum(report_count), 0), coalesce(sum(reach), 0), count(reach),
      coalesce(sum(negative_ratio * greatest(coalesce(reach, 0), 1)) filter (where negative_ratio is not null), 0),
      coalesce(sum(greatest(coalesce(reach, 0), 1)) filter (where negative_ratio is not null), 0),
      count(important_media), count(*) filter (where important_media)
    from reports where incident_id = ${incidentId} and current`.execute(trx);
  await sql`
    insert into incident_minutes
    select incident_id, date_trunc('minute', received_at), 0, count(*), coalesce(sum(spread_per_hour) filter (where current), 0), min(incident_spread_per_hour)
    from reports where incident_id = ${incidentId} group by 1, 2`.execute(trx);
  const t = await trx.selectFrom('incidentTotals').selectAll().where('incidentId', '=', incidentId).where('shard', '=', 0).executeTakeFirstOrThrow();
  const since = new Date(Date.now() - spreadWindowMs);
  const w = await trx
    .selectFrom('reports')
    .select([sql<number>`count(*)::int`.as('reports'), sql<number>`coalesce(sum(spread_per_hour) filter (where current), 0)`.as('spread')])
    .where('incidentId', '=', incidentId)
    .where('receivedAt', '>=', since)
    .executeTakeFirstOrThrow();
  const metrics = metricsFromSums(
    {
      sources: t.sources,
      reportCount: t.reportCount,
      reach: t.reachKnown > 0 ? t.reach : null,
      spreadInWindow: w.spread,
      reportsInWindow: w.reports,
      negativeWeighted: t.negativeWeight > 0 ? t.negativeWeighted : null,
      negativeWeight: t.negativeWeight > 0 ? t.negativeWeight : null,
      importantMedia: t.importantMediaKnown > 0 ? t.importantMediaSeen > 0 : null,
    },
    spreadWindowMs,
  );
  const rows = await trx.selectFrom('reports').select(['flags', 'suggestedTier', 'receivedAt']).where('incidentId', '=', incidentId).execute();
  const flags = [...new Set(rows.flatMap((r) => r.flags))];
  const suggested = rows.map((r) => r.suggestedTier).filter((x): x is Tier => x !== null);
  const assessment = assessTier({ metrics, flags, ...(suggested.length ? { suggestedTier: maxTier(...suggested) } : {}) });
  const last = rows.reduce((max, r) => Math.max(max, r.receivedAt.getTime()), 0);
  const keys = await trx
    .selectFrom('reports')
    .select(sql<string>`distinct client_id || ' ' || event_key`.as('key'))
    .where('incidentId', '=', incidentId)
    .where('eventKey', 'is not', null)
    .execute();
  await trx
    .updateTable('incidents')
    .set({
      eventKeys: keys.map((k) => k.key),
      metrics: JSON.stringify(metrics),
      flags: JSON.stringify(flags),
      assessment: JSON.stringify(assessment),
      suggestedTier: suggested.length ? maxTier(...suggested) : null,
      ...(last ? { lastReportAt: new Date(last) } : {}),
      updatedAt: sql`now()`,
    })
    .where('id', '=', incidentId)
    .execute();
  return { metrics, flags, assessment, reports: rows.length };
}
