import type { Transaction } from 'kysely';
import type { Database, Db, SummaryFigures, SummaryKind, SummaryReportRow } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

/** What lists show of a report: everything but the PDF's bytes. */
const LISTED = ['id', 'kind', 'periodStart', 'periodEnd', 'title', 'figures', 'workflowId', 'createdAt'] as const;
export type SummaryReportListed = Omit<SummaryReportRow, 'pdf'>;

/**
 * Stores a report unless its kind and period already have one; either way
 * returns the stored report's id and whether this call made it.
 */
export async function insertSummaryReport(
  trx: Executor,
  r: { id: string; kind: SummaryKind; periodStart: Date; periodEnd: Date; title: string; figures: SummaryFigures; pdf: Buffer; workflowId: string },
): Promise<{ id: string; created: boolean }> {
  const inserted = await trx
    .insertInto('summaryReports')
    .values({ ...r, figures: JSON.stringify(r.figures) })
    .onConflict((oc) => oc.columns(['kind', 'periodEnd']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const existing = await trx
    .selectFrom('summaryReports')
    .select('id')
    .where('kind', '=', r.kind)
    .where('periodEnd', '=', r.periodEnd)
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}

/** Whether a report of this kind and period exists already (the activity then builds nothing). */
export async function findSummaryReportOf(db: Executor, kind: SummaryKind, periodEnd: Date): Promise<{ id: string } | undefined> {
  return db.selectFrom('summaryReports').select('id').where('kind', '=', kind).where('periodEnd', '=', periodEnd).executeTakeFirst();
}

/** Reports newest first, optionally of one kind. */
export async function listSummaryReports(db: Executor, f: { kind?: SummaryKind; limit: number }): Promise<SummaryReportListed[]> {
  let q = db.selectFrom('summaryReports').select(LISTED).orderBy('periodEnd', 'desc').orderBy('kind').limit(f.limit);
  if (f.kind) q = q.where('kind', '=', f.kind);
  return q.execute();
}

export async function findSummaryReport(db: Executor, id: string): Promise<SummaryReportListed | undefined> {
  return db.selectFrom('summaryReports').select(LISTED).where('id', '=', id).executeTakeFirst();
}

export async function summaryReportPdf(db: Executor, id: string): Promise<{ title: string; kind: SummaryKind; pdf: Buffer } | undefined> {
  return db.selectFrom('summaryReports').select(['title', 'kind', 'pdf']).where('id', '=', id).executeTakeFirst();
}
