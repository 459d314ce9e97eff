import type { Transaction } from 'kysely';
import { INCIDENT_COLUMNS, type Database, type Db, type DistrictCode, type IncidentRow, type IncidentStatus, type Tier, type Topic } from '@yuqing/shared';
import { visibleIncidents, type Reach } from '@yuqing/http-kit';

type Executor = Db | Transaction<Database>;

export async function findIncident(db: Executor, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').select(INCIDENT_COLUMNS).where('id', '=', id).executeTakeFirst();
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
