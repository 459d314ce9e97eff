import { sql, type Selectable, type Transaction } from 'kysely';
import type { Scope } from '../auth/api-keys';
import type { Db } from '../db/database';
import type { AccountsTable, Database } from '../db/tables';
import { hashToken, newPublicId, newSecretToken } from './tokens';

type Executor = Db | Transaction<Database>;

export type AccountRow = Selectable<AccountsTable>;

const ACCOUNT_COLUMNS = [
  'personId',
  'scopes',
  'passwordHash',
  'passwordChangedAt',
  'failedSignIns',
  'lockedUntil',
  'createdBy',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof AccountsTable)[];

export async function findAccount(db: Executor, personId: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').select(ACCOUNT_COLUMNS).where('personId', '=', personId).executeTakeFirst();
}

/** Opens a person's account with `scopes`, or sets the scopes of the one they have. */
export async function saveAccount(db: Executor, account: { personId: string; scopes: readonly Scope[]; createdBy: string }): Promise<AccountRow> {
  return db
    .insertInto('accounts')
    .values({ personId: account.personId, scopes: JSON.stringify(account.scopes), createdBy: account.createdBy })
    .onConflict((oc) => oc.column('personId').doUpdateSet({ scopes: JSON.stringify(account.scopes), updatedAt: sql`now()` }))
    .returning(ACCOUNT_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function deleteAccount(db: Executor, personId: string): Promise<AccountRow | undefined> {
  return db.deleteFrom('accounts').where('personId', '=', personId).returning(ACCOUNT_COLUMNS).executeTakeFirst();
}

/** Sets the password hash; the failure count and any lock go with the old password. */
export async function setPasswordHash(db: Executor, personId: string, passwordHash: string): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ passwordHash, passwordChangedAt: sql`now()`, failedSignIns: 0, lockedUntil: null, updatedAt: sql`now()` })
    .where('personId', '=', personId)
    .execute();
}

/**
 * Counts a failed sign-in; at `max` the account is locked for `lockMs` and the
 * count starts again. Answers whether this failure locked it.
 */
export async function recordFailedSignIn(db: Executor, personId: string, max: number, lockMs: number): Promise<{ locked: boolean; lockedUntil: Date | null }> {
  const row = await db
    .updateTable('accounts')
    .set({
      failedSignIns: sql`case when failed_sign_ins + 1 >= ${max} then 0 else failed_sign_ins + 1 end`,
      lockedUntil: sql`case when failed_sign_ins + 1 >= ${max} then now() + ${`${lockMs} milliseconds`}::interval else locked_until end`,
    })
    .where('personId', '=', personId)
    .returning(['failedSignIns', 'lockedUntil'])
    .executeTakeFirst();
  const locked = row !== undefined && row.failedSignIns === 0 && row.lockedUntil !== null && row.lockedUntil.getTime() > Date.now();
  return { locked, lockedUntil: row?.lockedUntil ?? null };
}

export async function recordSuccessfulSignIn(db: Executor, personId: string): Promise<void> {
  await db.updateTable('accounts').set({ failedSignIns: 0, lockedUntil: null }).where('personId', '=', personId).execute();
}

/** Failed sign-ins from `address` within the last `windowMs`, counted from the audit log (indexed). */
export async function failedSignInsFrom(db: Executor, address: string, windowMs: number): Promise<number> {
  const row = await db
    .selectFrom('auditLog')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('action', '=', 'account.sign_in_failed')
    .where(sql<string>`after ->> 'address'`, '=', address)
    .where('at', '>', sql<Date>`now() - ${`${windowMs} milliseconds`}::interval`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A one-time link to set the person's password: the token is returned once and
 * only its hash kept; links issued before for the same person stop working.
 */
export async function issueActivation(
  db: Executor,
  options: { personId: string; ttlMs: number; createdBy: string },
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = newSecretToken();
  const id = newPublicId('act');
  await db
    .updateTable('accountActivations')
    .set({ expiresAt: sql`now()` })
    .where('personId', '=', options.personId)
    .where('usedAt', 'is', null)
    .where('expiresAt', '>', sql<Date>`now()`)
    .execute();
  const row = await db
    .insertInto('accountActivations')
    .values({
      id,
      personId: options.personId,
      tokenHash: hashToken(token),
      expiresAt: sql`now() + ${`${options.ttlMs} milliseconds`}::interval`,
      createdBy: options.createdBy,
    })
    .returning(['expiresAt'])
    .executeTakeFirstOrThrow();
  return { id, token, expiresAt: row.expiresAt };
}

/**
 * The console's page that sets the password, with the token after `#`: a fragment
 * is never sent to a server, so the token stays out of access logs and Referer headers.
 */
export function activationLink(reportingPublicUrl: string, token: string): string {
  return `${reportingPublicUrl.replace(/\/$/, '')}/console/activate#token=${token}`;
}

export type ActivationOutcome =
  | { readonly ok: true; readonly id: string; readonly personId: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired'; readonly id?: string; readonly personId?: string };

/** Uses an activation token once: the first caller gets it, every later one (and any after expiry) is refused. */
export async function useActivation(db: Executor, token: string): Promise<ActivationOutcome> {
  const tokenHash = hashToken(token);
  const used = await db
    .updateTable('accountActivations')
    .set({ usedAt: sql`now()` })
    .where('tokenHash', '=', tokenHash)
    .where('usedAt', 'is', null)
    .where('expiresAt', '>', sql<Date>`now()`)
    .returning(['id', 'personId'])
    .executeTakeFirst();
  if (used) return { ok: true, id: used.id, personId: used.personId };
  const found = await db.selectFrom('accountActivations').select(['id', 'personId', 'usedAt']).where('tokenHash', '=', tokenHash).executeTakeFirst();
  if (!found) return { ok: false, reason: 'unknown' };
  return { ok: false, reason: found.usedAt ? 'used' : 'expired', id: found.id, personId: found.personId };
}
