import { createHash, randomUUID } from 'node:crypto';
import { requestHash, type Db } from '@yuqing/shared';
import { problems } from '@yuqing/http-kit';

export interface ActionRequest {
  readonly principalId: string;
  readonly incidentId: string;
  /** `acknowledge`, `complete:digest`, `approve:talking_points_approval`… */
  readonly action: string;
  /** The caller's Idempotency-Key, if it sent one. */
  readonly key: string | undefined;
  /** What was asked (path and body), hashed to tell a retry from a different request. */
  readonly request: unknown;
}

/**
 * The Temporal Update id a human step runs as. With an Idempotency-Key it is
 * scoped to (caller, incident, action, key) and remembered, so a retry is the same
 * Update (applied once) and the same key with a different request is refused; two
 * units, or two actions, never share one. Without a key every request is new: the
 * caller's X-Request-Id is never used, it is theirs to choose.
 */
export async function updateIdFor(db: Db, r: ActionRequest): Promise<string> {
  if (!r.key) return `${r.action}:${randomUUID()}`;
  const hash = requestHash(r.request);
  const updateId = `${r.action}:${createHash('sha256').update(`${r.principalId}\n${r.incidentId}\n${r.action}\n${r.key}`).digest('hex').slice(0, 32)}`;
  await db
    .insertInto('actionRequests')
    .values({ principalId: r.principalId, incidentId: r.incidentId, action: r.action, key: r.key, requestHash: hash, updateId })
    .onConflict((oc) => oc.columns(['principalId', 'incidentId', 'action', 'key']).doNothing())
    .execute();
  const stored = await db
    .selectFrom('actionRequests')
    .select(['requestHash', 'updateId'])
    .where('principalId', '=', r.principalId)
    .where('incidentId', '=', r.incidentId)
    .where('action', '=', r.action)
    .where('key', '=', r.key)
    .executeTakeFirstOrThrow();
  if (stored.requestHash !== hash) {
    throw problems.idempotencyKeyReused();
  }
  return stored.updateId;
}
