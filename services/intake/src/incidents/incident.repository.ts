import type { Transaction } from 'kysely';
import type { Insertable } from 'kysely';
import {
  INCIDENT_COLUMNS,
  REPORT_COLUMNS,
  type Database,
  type Db,
  type DistrictCode,
  type IncidentRow,
  type IncidentStatus,
  type NewIncident,
  type ReportRow,
  type ReportsTable,
  type Tier,
  type Topic,
} from '@yuqing/shared';
import { visibleIncidents, type Reach } from '@yuqing/http-kit';

type Executor = Db | Transaction<Database>;

export async function findIncident(db: Executor, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').select(INCIDENT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function findByExternalId(db: Executor, clientId: string, externalId: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').select(INCIDENT_COLUMNS).where('clientId', '=', clientId).where('externalId', '=', externalId).executeTakeFirst();
}

export async function findByIdempotencyKey(db: Executor, clientId: string, key: string): Promise<{ incident: IncidentRow; requestHash: string } | undefined> {
  const row = await db
    .selectFrom('idempotencyKeys')
    .select(['incidentId', 'requestHash'])
    .where('clientId', '=', clientId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) return undefined;
  const incident = await findIncident(db, row.incidentId);
  return incident ? { incident, requestHash: row.requestHash } : undefined;
}

export async function insertIncident(trx: Transaction<Database>, incident: NewIncident): Promise<void> {
  await trx.insertInto('incidents').values(incident).execute();
}

export async function insertReport(trx: Transaction<Database>, report: Insertable<ReportsTable>): Promise<void> {
  await trx.insertInto('reports').values(report).execute();
}

/** The report a client already sent with this caller id and this exact body. */
export async function findReport(db: Executor, clientId: string, externalId: string, requestHash: string): Promise<ReportRow | undefined> {
  return db
    .selectFrom('reports')
    .select(REPORT_COLUMNS)
    .where('clientId', '=', clientId)
    .where('externalId', '=', externalId)
    .where('requestHash', '=', requestHash)
    .executeTakeFirst();
}

/** An incident's reports, oldest first: its metrics history. */
export async function reportsOf(db: Executor, incidentId: string): Promise<ReportRow[]> {
  return db.selectFrom('reports').select(REPORT_COLUMNS).where('incidentId', '=', incidentId).orderBy('receivedAt').orderBy('id').execute();
}

export async function insertIdempotencyKey(
  trx: Transaction<Database>,
  row: { clientId: string; key: string; incidentId: string; requestHash: string },
): Promise<void> {
  await trx.insertInto('idempotencyKeys').values(row).execute();
}

export interface IncidentFilter {
  readonly tier?: Tier;
  readonly status?: IncidentStatus;
  readonly district?: DistrictCode;
  readonly topic?: Topic;
  readonly overdue?: boolean;
  readonly limit: number;
  readonly before?: Date;
  /** Only what the caller may see. */
  readonly reach: Reach;
}

/** Newest first, keyset-paged by `createdAt`. */
export async function listIncidents(db: Executor, f: IncidentFilter): Promise<IncidentRow[]> {
  let q = db.selectFrom('incidents').select(INCIDENT_COLUMNS).where(visibleIncidents(f.reach)).orderBy('createdAt', 'desc').limit(f.limit);
  if (f.tier) q = q.where('tier', '=', f.tier);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.district) q = q.where('districtCode', '=', f.district);
  if (f.topic) q = q.where('topic', '=', f.topic);
  if (f.overdue !== undefined) q = q.where('overdue', '=', f.overdue);
  if (f.before) q = q.where('createdAt', '<', f.before);
  return q.execute();
}
