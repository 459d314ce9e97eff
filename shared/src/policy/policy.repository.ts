import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { PolicyRow } from '../db/tables';
import type { PolicyScope } from './policy.schema';
import { recordAudit, type AuditEntry } from '../audit/audit';

/** The newest version of a policy scope (`city` or a district code), or a given one. */
export async function findPolicy(db: Db, scope: PolicyScope, version?: number): Promise<PolicyRow | undefined> {
  let q = db.selectFrom('policies').select(['id', 'scope', 'version', 'document', 'note', 'createdBy', 'createdAt']).where('scope', '=', scope);
  q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
  return q.executeTakeFirst();
}

/** Every version of a scope, newest first, without the documents. */
export async function listPolicyVersions(db: Db, scope?: PolicyScope) {
  let q = db.selectFrom('policies').select(['scope', 'version', 'note', 'createdBy', 'createdAt']).orderBy('scope').orderBy('version', 'desc');
  if (scope) q = q.where('scope', '=', scope);
  return q.execute();
}

export class PolicyVersionConflict extends Error {
  readonly code = 'POLICY_VERSION_CONFLICT';
  constructor(
    readonly scope: string,
    readonly latest: number,
  ) {
    super(`policy ${scope} is at version ${latest}`);
  }
}

/**
 * Publishes a new version of a scope. `baseVersion` is the version the editor
 * started from: if someone published since, nothing is written (no lost update).
 * Running incidents keep the snapshot they took; new ones take this version.
 */
export async function publishPolicy(
  db: Db,
  input: { scope: PolicyScope; document: PolicyRow['document']; note?: string; baseVersion: number; actor: AuditEntry['actor']; requestId?: string },
): Promise<PolicyRow> {
  return db.transaction().execute(async (trx) => {
    // Serialise publishers of one scope.
    await sql`select pg_advisory_xact_lock(hashtext(${`policy:${input.scope}`}))`.execute(trx);
    const latest = await trx
      .selectFrom('policies')
      .select(sql<number>`coalesce(max(version), 0)`.as('v'))
      .where('scope', '=', input.scope)
      .executeTakeFirstOrThrow();
    if (Number(latest.v) !== input.baseVersion) throw new PolicyVersionConflict(input.scope, Number(latest.v));
    const row = await trx
      .insertInto('policies')
      .values({
        scope: input.scope,
        version: input.baseVersion + 1,
        document: JSON.stringify(input.document),
        note: input.note ?? null,
        createdBy: input.actor.id,
      })
      .returning(['id', 'scope', 'version', 'document', 'note', 'createdBy', 'createdAt'])
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor: input.actor,
      action: 'policy.published',
      entity: 'policy',
      entityId: `${input.scope}@${row.version}`,
      after: { scope: input.scope, version: row.version, note: input.note },
      requestId: input.requestId ?? null,
    });
    return row;
  });
}
