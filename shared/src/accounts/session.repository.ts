import { sql, type Selectable, type Transaction } from 'kysely';
import type { Role } from '../domain/vocabulary';
import type { Scope } from '../auth/api-keys';
import type { Db } from '../db/database';
import type { Database, SessionsTable, SignInMethod } from '../db/tables';
import { hashToken, newPublicId, newSecretToken } from './tokens';

type Executor = Db | Transaction<Database>;

export type SessionRow = Selectable<SessionsTable>;
/** What a session shows of itself: never its token or hash. */
export type SessionSummary = Omit<SessionRow, 'tokenHash'>;

const SUMMARY_COLUMNS = [
  'id',
  'personId',
  'method',
  'createdAt',
  'lastSeenAt',
  'expiresAt',
  'revokedAt',
  'address',
  'userAgent',
] as const satisfies readonly (keyof SessionsTable)[];

/** Opens a session for a person; the token (for the cookie) is returned once. */
export async function openSession(
  db: Executor,
  options: { personId: string; method: SignInMethod; absoluteMs: number; address?: string; userAgent?: string },
): Promise<{ token: string; session: SessionSummary }> {
  const token = newSecretToken();
  const session = await db
    .insertInto('sessions')
    .values({
      id: newPublicId('ses'),
      tokenHash: hashToken(token),
      personId: options.personId,
      method: options.method,
      expiresAt: sql`now() + ${`${options.absoluteMs} milliseconds`}::interval`,
      address: options.address ?? null,
      userAgent: options.userAgent?.slice(0, 300) ?? null,
    })
    .returning(SUMMARY_COLUMNS)
    .executeTakeFirstOrThrow();
  return { token, session };
}

/** A live session with the person and account it acts for. */
export interface LiveSession extends SessionSummary {
  readonly personName: string;
  readonly unitId: string;
  readonly roles: Role[];
  readonly scopes: Scope[];
}

/**
 * The session a cookie's token opens, if it is neither revoked nor past its
 * absolute end nor idle for `idleMs`, and its person still has an account.
 */
export async function findLiveSession(db: Executor, token: string, idleMs: number): Promise<LiveSession | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('persons', 'persons.id', 'sessions.personId')
    .innerJoin('accounts', 'accounts.personId', 'sessions.personId')
    .select([
      'sessions.id',
      'sessions.personId',
      'sessions.method',
      'sessions.createdAt',
      'sessions.lastSeenAt',
      'sessions.expiresAt',
      'sessions.revokedAt',
      'sessions.address',
      'sessions.userAgent',
      'persons.name as personName',
      'persons.unitId',
      'persons.roles',
      'accounts.scopes',
    ])
    .where('sessions.tokenHash', '=', hashToken(token))
    .where('sessions.revokedAt', 'is', null)
    .where('sessions.expiresAt', '>', sql<Date>`now()`)
    .where('sessions.lastSeenAt', '>', sql<Date>`now() - ${`${idleMs} milliseconds`}::interval`)
    .executeTakeFirst();
}

/** Marks a session as used now (the idle timeout counts from here). */
export async function touchSession(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ lastSeenAt: sql`now()` })
    .where('id', '=', id)
    .where('revokedAt', 'is', null)
    .execute();
}

export async function revokeSession(db: Executor, id: string): Promise<boolean> {
  const row = await db
    .updateTable('sessions')
    .set({ revokedAt: sql`now()` })
    .where('id', '=', id)
    .where('revokedAt', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Ends every open session of a person (but `exceptId`); answers how many. */
export async function revokeSessionsOf(db: Executor, personId: string, exceptId?: string): Promise<number> {
  let q = db
    .updateTable('sessions')
    .set({ revokedAt: sql`now()` })
    .where('personId', '=', personId)
    .where('revokedAt', 'is', null);
  if (exceptId) q = q.where('id', '!=', exceptId);
  const rows = await q.returning('id').execute();
  return rows.length;
}

/** A person's sessions that are still open (not revoked, not past their absolute end). */
export async function listOpenSessions(db: Executor, personId: string): Promise<SessionSummary[]> {
  return db
    .selectFrom('sessions')
    .select(SUMMARY_COLUMNS)
    .where('personId', '=', personId)
    .where('revokedAt', 'is', null)
    .where('expiresAt', '>', sql<Date>`now()`)
    .orderBy('createdAt', 'desc')
    .execute();
}
