import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import {
  compileOnce,
  type CompiledStatement,
  INCIDENT_COLUMNS,
  LIVE_STATUSES,
  REPORT_COLUMNS,
  type Database,
  type Db,
  type DistrictCode,
  type IncidentRow,
  type ReportRow,
  type Topic,
} from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

export async function findReportById(db: Executor, id: string): Promise<ReportRow | undefined> {
  return db.selectFrom('reports').select(REPORT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** What the exact keys of a report point at, looked up in one round trip. */
export interface KeyLookup {
  /** The request stored under the client's Idempotency-Key, if it sent one that was used before. */
  readonly idempotent: { readonly incidentId: string; readonly reportId: string | null; readonly requestHash: string } | null;
  /** The client's report with this caller id and this exact body: a repeat. */
  readonly sameReportId: string | null;
  /** The incident of the client's newest report with this caller id (it follows merges and splits). */
  readonly callerIncidentId: string | null;
  /** A live incident with a report of this client and event key. */
  readonly eventKeyIncidentId: string | null;
  /** A live incident with a report of this (normalised) source URL, from any caller. */
  readonly urlIncidentId: string | null;
}

/**
 * The exact rules' lookups at once (Idempotency-Key, caller id, event key, source
 * URL), each an index lookup: a report's first question costs one round trip.
 * `correlate` false (POST /v1/incidents) asks only about the caller id. With
 * `holdPost`, the same statement takes the post's lock (`postLock`) for the
 * transaction it runs in.
 */
export async function lookUpKeys(
  db: Executor,
  k: {
    clientId: string;
    idempotencyKey: string | undefined;
    externalId: string | undefined;
    requestHash: string;
    eventKey: string | undefined;
    sourceUrl: string;
    correlate: boolean;
    holdPost: boolean;
  },
): Promise<KeyLookup> {
  const shape: LookupShape = {
    post: k.holdPost,
    idempotencyKey: k.idempotencyKey !== undefined,
    externalId: k.externalId !== undefined,
    eventKey: k.correlate && k.eventKey !== undefined,
    sourceUrl: k.correlate,
  };
  const { rows } = await keyLookupOf(shape).execute(db, {
    post: k.holdPost ? String(postLock(k.sourceUrl)) : '',
    clientId: k.clientId,
    idempotencyKey: k.idempotencyKey ?? '',
    externalId: k.externalId ?? '',
    requestHash: k.requestHash,
    eventKey: k.eventKey ?? '',
    sourceUrl: k.sourceUrl,
  });
  const { idemIncidentId, idemReportId, idemRequestHash, postHeld: _, ...keys } = rows[0]!;
  return {
    ...keys,
    idempotent: idemIncidentId && idemRequestHash ? { incidentId: idemIncidentId, reportId: idemReportId, requestHash: idemRequestHash } : null,
  };
}

const LIVE = sql.join(LIVE_STATUSES.map((s) => sql.lit(s)));

type KeyLookupRow = Omit<KeyLookup, 'idempotent'> & {
  idemIncidentId: string | null;
  idemReportId: string | null;
  idemRequestHash: string | null;
  postHeld: null;
};

/** Which of the look-ups a report asks (the others answer null without a parameter). */
interface LookupShape {
  readonly post: boolean;
  readonly idempotencyKey: boolean;
  readonly externalId: boolean;
  readonly eventKey: boolean;
  readonly sourceUrl: boolean;
}

type LookupArgs = {
  post: string;
  clientId: string;
  idempotencyKey: string;
  externalId: string;
  requestHash: string;
  eventKey: string;
  sourceUrl: string;
};

/**
 * Every report's first statement, one text per shape, each compiled once
 * (compileOnce): what a report lacks is left out rather than passed as null. A null
 * parameter lets PostgreSQL plan the call for that null, and so it planned every
 * call anew (0.23 ms of a report's 0.65 ms there); without nulls planning takes about
 * half that (measured in the report burst, BENCHMARKS.md).
 */
const keyLookups = new Map<string, CompiledStatement<LookupArgs, KeyLookupRow>>();
function keyLookupOf(shape: LookupShape): CompiledStatement<LookupArgs, KeyLookupRow> {
  const name = Object.entries(shape)
    .map(([key, on]) => (on ? key : '-'))
    .join(',');
  let statement = keyLookups.get(name);
  if (!statement) keyLookups.set(name, (statement = compileOnce((_db, k: LookupArgs) => keyLookupSql(shape, k))));
  return statement;
}

const NONE = sql`null`;

function keyLookupSql(shape: LookupShape, k: LookupArgs) {
  return sql<KeyLookupRow>`
    select
      ${shape.post ? sql`pg_advisory_xact_lock(${k.post}::bigint)` : NONE} as post_held,
      ${shape.idempotencyKey ? sql`ik.incident_id` : NONE} as idem_incident_id,
      ${shape.idempotencyKey ? sql`ik.report_id` : NONE} as idem_report_id,
      ${shape.idempotencyKey ? sql`ik.request_hash` : NONE} as idem_request_hash,
      ${
        shape.externalId
          ? sql`(select id from reports where client_id = ${k.clientId} and external_id = ${k.externalId} and request_hash = ${k.requestHash} limit 1)`
          : NONE
      } as same_report_id,
      ${
        shape.externalId
          ? sql`(select incident_id from reports where client_id = ${k.clientId} and external_id = ${k.externalId} order by received_at desc limit 1)`
          : NONE
      } as caller_incident_id,
      ${
        shape.eventKey
          ? sql`(select r.incident_id from reports r join incidents i on i.id = r.incident_id
        where r.client_id = ${k.clientId} and r.event_key = ${k.eventKey} and i.status in (${LIVE})
        order by r.received_at desc limit 1)`
          : NONE
      } as event_key_incident_id,
      ${
        shape.sourceUrl
          ? sql`(select r.incident_id from reports r join incidents i on i.id = r.incident_id
        where r.source_url = ${k.sourceUrl} and i.status in (${LIVE})
        order by r.received_at desc limit 1)`
          : NONE
      } as url_incident_id
    from (select 1) as one
    ${shape.idempotencyKey ? sql`left join idempotency_keys ik on ik.client_id = ${k.clientId} and ik.key = ${k.idempotencyKey}` : sql``}`;
}

/** Title, summary and district of reports by id: wordings not yet in this process's cache. */
export async function wordingsOf(db: Executor, reportIds: readonly string[]) {
  if (reportIds.length === 0) return [];
  return db
    .selectFrom('reports')
    .select(['incidentId', 'id as reportId', 'title', 'summary', 'districtCode as reportDistrict'])
    .where('id', 'in', [...reportIds])
    .execute();
}

/** A wording an incident is matched by: one of its exemplar reports, with what the text rule checks of its incident. */
export interface Exemplar {
  readonly incidentId: string;
  readonly reportId: string;
  readonly title: string;
  readonly summary: string | null;
  /** The district the exemplar report gave (it counts as named by its text). */
  readonly reportDistrict: DistrictCode | null;
  /** Its incident's district. */
  readonly districtCode: DistrictCode | null;
  /** The event keys its incident's reports carry, as `clientId eventKey`. */
  readonly eventKeys: readonly string[];
}

/**
 * The wordings of the live incidents of a topic whose last report is within the
 * window, with their districts and the event keys their reports carry (the text
 * rule's other conditions are checked on these, in the correlator).
 */
export async function textCandidates(db: Executor, c: { topic: Topic; since: Date }): Promise<Exemplar[]> {
  return db
    .selectFrom('incidents')
    .innerJoin('reports', (j) => j.onRef('reports.incidentId', '=', 'incidents.id').on('reports.exemplar', '=', true))
    .select([
      'incidents.id as incidentId',
      'reports.id as reportId',
      'reports.title',
      'reports.summary',
      'reports.districtCode as reportDistrict',
      'incidents.districtCode',
      'incidents.eventKeys',
    ])
    .where('incidents.status', 'in', LIVE_STATUSES)
    .where('incidents.topic', '=', c.topic)
    .where('incidents.lastReportAt', '>=', c.since)
    .execute();
}

export async function findIncident(db: Executor, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').select(INCIDENT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/**
 * Transaction-scoped advisory locks on every key a report could open an incident
 * for (its topic, event key, URL, caller id, Idempotency-Key), taken in one order
 * so two reports never wait on each other crosswise. Whoever holds them decides
 * "open or join" alone: concurrent reports of one new event open one incident.
 * With `post` (a source URL), that post's lock is taken first, in the same statement.
 */
export async function lockKeys(trx: Transaction<Database>, keys: readonly string[], post?: string): Promise<void> {
  const ids = [...new Set(keys.map(lockId))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
  // A post's lock first, where a report's first statement takes it: the same order everywhere.
  if (post !== undefined) ids.unshift(String(postLock(post)));
  // One round trip: unnest keeps the array's order, and nothing sorts or filters after it.
  if (ids.length > 0) await lockAll.execute(trx, { ids });
}

const lockAll = compileOnce((_db, a: { ids: readonly string[] }) => sql`select pg_advisory_xact_lock(id) from unnest(${a.ids}::bigint[]) as id`);

/**
 * The lock of one post (a source URL), taken by a report's first statement: the
 * statements after it see what an earlier report of the post committed (the first
 * one's own look-ups do not), so each supersedes the one before in its incident and a
 * repost storm neither collides on the one current report nor deadlocks on its rows.
 */
const postLock = (sourceUrl: string) => lockId(`post:${sourceUrl}`);

/** A key as a signed 64-bit lock id (the first 8 bytes of its SHA-256). */
function lockId(key: string): bigint {
  return createHash('sha256').update(`yuqing:correlate:${key}`).digest().readBigInt64BE(0);
}

export async function insertIdempotencyKey(
  trx: Transaction<Database>,
  row: { clientId: string; key: string; incidentId: string; reportId: string; requestHash: string },
): Promise<void> {
  await idempotencyKeyInsert.execute(trx, { row });
}

const idempotencyKeyInsert = compileOnce((db, a: { row: { clientId: string; key: string; incidentId: string; reportId: string; requestHash: string } }) =>
  db.insertInto('idempotencyKeys').values(a.row),
);

/** An incident's reports, oldest first: its metrics history, with the rule that tied each one to it. */
export async function reportsOf(db: Executor, incidentId: string): Promise<ReportRow[]> {
  return db.selectFrom('reports').select(REPORT_COLUMNS).where('incidentId', '=', incidentId).orderBy('receivedAt').orderBy('id').execute();
}
