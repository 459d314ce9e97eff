import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database';
import type { Database } from '../db/tables';
import { assessTier, type Assessment, type Metrics } from '../domain/assessment';
import { metricsFromSums, type ReportSums } from '../domain/metrics';
import { maxTier } from '../domain/tiers';
import type { Flag, Tier } from '../domain/vocabulary';

type Executor = Db | Transaction<Database>;

/**
 * An incident's reports added up (see `metricsFromSums`), and the lowest spread it
 * had within the window (the surge baseline), not counting `exceptReportId` (the
 * report being added, whose spread is not known yet).
 */
export async function reportSums(
  db: Executor,
  incidentId: string,
  spreadSince: Date,
  exceptReportId?: string,
): Promise<ReportSums & { readonly baseline: number | null }> {
  const row = await db
    .selectFrom('reports')
    .select([
      sql<number>`(count(*) filter (where current))::int`.as('sources'),
      sql<number | null>`sum(report_count) filter (where current)`.as('reportCount'),
      sql<number | null>`sum(reach) filter (where current)`.as('reach'),
      sql<number | null>`sum(spread_per_hour) filter (where current and received_at >= ${spreadSince})`.as('spreadInWindow'),
      sql<number>`(count(*) filter (where received_at >= ${spreadSince}))::int`.as('reportsInWindow'),
      sql<number | null>`sum(negative_ratio * greatest(coalesce(reach, 0), 1)) filter (where current and negative_ratio is not null)`.as('negativeWeighted'),
      sql<number | null>`sum(greatest(coalesce(reach, 0), 1)) filter (where current and negative_ratio is not null)`.as('negativeWeight'),
      sql<boolean | null>`bool_or(important_media) filter (where current)`.as('importantMedia'),
      sql<number | null>`min(incident_spread_per_hour) filter (where received_at >= ${spreadSince} and id is distinct from ${exceptReportId ?? null}::uuid)`.as(
        'baseline',
      ),
    ])
    .where('incidentId', '=', incidentId)
    .executeTakeFirstOrThrow();
  return row;
}

/** After reports moved in or out: per source, only the newest report of the incident carries its figures. */
export async function refreshCurrent(trx: Transaction<Database>, incidentId: string): Promise<void> {
  await sql`
    update reports r set current = (r.id = (
      select x.id from reports x where x.incident_id = r.incident_id and x.source_url = r.source_url
      order by x.received_at desc, x.id desc limit 1))
    where r.incident_id = ${incidentId}`.execute(trx);
}

/**
 * An incident's metrics, flags and assessment from all its reports, written to its
 * row (after a merge or a split moved reports). The tier on the row is the
 * workflow's: only the assessment is rewritten here.
 */
export async function reaggregate(
  trx: Transaction<Database>,
  incidentId: string,
  spreadWindowMs: number,
): Promise<{ readonly metrics: Metrics; readonly flags: Flag[]; readonly assessment: Assessment; readonly reports: number }> {
  await refreshCurrent(trx, incidentId);
  const sums = await reportSums(trx, incidentId, new Date(Date.now() - spreadWindowMs));
  const metrics = metricsFromSums(sums, spreadWindowMs);
  const rows = await trx.selectFrom('reports').select(['flags', 'suggestedTier', 'receivedAt']).where('incidentId', '=', incidentId).execute();
  const flags = [...new Set(rows.flatMap((r) => r.flags))];
  const suggested = rows.map((r) => r.suggestedTier).filter((t): t is Tier => t !== null);
  const assessment = assessTier({ metrics, flags, ...(suggested.length ? { suggestedTier: maxTier(...suggested) } : {}) });
  const last = rows.reduce((max, r) => Math.max(max, r.receivedAt.getTime()), 0);
  await trx
    .updateTable('incidents')
    .set({
      metrics: JSON.stringify(metrics),
      flags: JSON.stringify(flags),
      assessment: JSON.stringify(assessment),
      ...(last ? { lastReportAt: new Date(last) } : {}),
      updatedAt: sql`now()`,
    })
    .where('id', '=', incidentId)
    .execute();
  return { metrics, flags, assessment, reports: rows.length };
}
