import { createHash } from 'node:crypto';
import { sql, type Insertable, type Transaction } from 'kysely';
import {
  INCIDENT_COLUMNS,
  LIVE_STATUSES,
  REPORT_COLUMNS,
  type Database,
  type Db,
  type DistrictCode,
  type IncidentRow,
  type ReportRow,
  type ReportsTable,
  type Topic,
} from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

export async function insertReport(trx: Transaction<Database>, report: Insertable<ReportsTable>): Promise<void> {
  // A source measured again: its earlier report no longer carries its figures.
  await trx
    .updateTable('reports')
    .set({ current: false })
    .where('incidentId', '=', report.incidentId)
    .where('sourceUrl', '=', report.sourceUrl)
    .where('current', '=', true)
    .execute();
  await trx.insertInto('reports').values(report).execute();
}

export async function findReportById(db: Executor, id: string): Promise<ReportRow | undefined> {
  return db.selectFrom('reports').select(REPORT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** The report a client already sent with this caller id and this exact body. */
export async function findSameReport(db: Executor, clientId: string, externalId: string, requestHash: string): Promise<ReportRow | undefined> {
  return db
    .selectFrom('reports')
    .select(REPORT_COLUMNS)
    .where('clientId', '=', clientId)
    .where('externalId', '=', externalId)
    .where('requestHash', '=', requestHash)
    .executeTakeFirst();
}

/** The incident a client's earlier report with this caller id belongs to now (it follows merges and splits). */
export async function incidentOfCallerId(db: Executor, clientId: string, externalId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('reports')
    .select('incidentId')
    .where('clientId', '=', clientId)
    .where('externalId', '=', externalId)
    .orderBy('receivedAt', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.incidentId;
}

/** A live incident holding a report of this client with this event key. */
export async function liveIncidentOfEventKey(db: Executor, clientId: string, eventKey: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('reports')
    .innerJoin('incidents', 'incidents.id', 'reports.incidentId')
    .select('reports.incidentId')
    .where('reports.clientId', '=', clientId)
    .where('reports.eventKey', '=', eventKey)
    .where('incidents.status', 'in', LIVE_STATUSES)
    .orderBy('reports.receivedAt', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.incidentId;
}

/** A live incident holding a report of this (normalised) source URL, from any caller. */
export async function liveIncidentOfSourceUrl(db: Executor, sourceUrl: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('reports')
    .innerJoin('incidents', 'incidents.id', 'reports.incidentId')
    .select('reports.incidentId')
    .where('reports.sourceUrl', '=', sourceUrl)
    .where('incidents.status', 'in', LIVE_STATUSES)
    .orderBy('reports.receivedAt', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.incidentId;
}

/** A wording an incident is matched by: one of its exemplar reports. */
export interface Exemplar {
  readonly incidentId: string;
  readonly reportId: string;
  readonly title: string;
  readonly summary: string | null;
}

/**
 * The wordings of the live incidents a report of this topic and district may join
 * by text: same topic, district the same or absent on either side, last report
 * within the window.
 */
export async function textCandidates(
  db: Executor,
  c: { topic: Topic; district: DistrictCode | undefined; since: Date; clientId: string; eventKey: string | undefined },
): Promise<Exemplar[]> {
  let q = db
    .selectFrom('incidents')
    .innerJoin('reports', (j) => j.onRef('reports.incidentId', '=', 'incidents.id').on('reports.exemplar', '=', true))
    .select(['incidents.id as incidentId', 'reports.id as reportId', 'reports.title', 'reports.summary'])
    .where('incidents.status', 'in', LIVE_STATUSES)
    .where('incidents.topic', '=', c.topic)
    .where('incidents.lastReportAt', '>=', c.since);
  if (c.district) {
    const district = c.district;
    q = q.where((eb) => eb.or([eb('incidents.districtCode', 'is', null), eb('incidents.districtCode', '=', district)]));
  }
  if (c.eventKey) {
    // The caller said which event each of its reports is about: never guess across its keys.
    const { clientId, eventKey } = c;
    q = q.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('reports as other')
            .select('other.id')
            .whereRef('other.incidentId', '=', 'incidents.id')
            .where('other.clientId', '=', clientId)
            .where('other.eventKey', 'is not', null)
            .where('other.eventKey', '<>', eventKey),
        ),
      ),
    );
  }
  return q.execute();
}

export async function exemplarsOf(db: Executor, incidentId: string): Promise<Exemplar[]> {
  return db
    .selectFrom('reports')
    .select(['incidentId', 'id as reportId', 'title', 'summary'])
    .where('incidentId', '=', incidentId)
    .where('exemplar', '=', true)
    .execute();
}

/** The incident row, locked until the transaction ends: reports joining it add up one after another. */
export async function lockIncident(trx: Transaction<Database>, id: string): Promise<IncidentRow | undefined> {
  return trx.selectFrom('incidents').select(INCIDENT_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function findIncident(db: Executor, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').select(INCIDENT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/**
 * Transaction-scoped advisory locks on every key a report could open an incident
 * for (its topic, event key, URL, caller id, Idempotency-Key), taken in one order
 * so two reports never wait on each other crosswise. Whoever holds them decides
 * "open or join" alone: concurrent reports of one new event open one incident.
 */
export async function lockKeys(trx: Transaction<Database>, keys: readonly string[]): Promise<void> {
  const ids = [...new Set(keys.map(lockId))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
  for (const id of ids) await sql`select pg_advisory_xact_lock(${id}::bigint)`.execute(trx);
}

/** A key as a signed 64-bit lock id (the first 8 bytes of its SHA-256). */
function lockId(key: string): bigint {
  return createHash('sha256').update(`yuqing:correlate:${key}`).digest().readBigInt64BE(0);
}

export async function findIdempotencyKey(db: Executor, clientId: string, key: string) {
  return db
    .selectFrom('idempotencyKeys')
    .select(['incidentId', 'reportId', 'requestHash'])
    .where('clientId', '=', clientId)
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function insertIdempotencyKey(
  trx: Transaction<Database>,
  row: { clientId: string; key: string; incidentId: string; reportId: string; requestHash: string },
): Promise<void> {
  await trx.insertInto('idempotencyKeys').values(row).execute();
}

/** An incident's reports, oldest first: its metrics history, with the rule that tied each one to it. */
export async function reportsOf(db: Executor, incidentId: string): Promise<ReportRow[]> {
  return db.selectFrom('reports').select(REPORT_COLUMNS).where('incidentId', '=', incidentId).orderBy('receivedAt').orderBy('id').execute();
}
