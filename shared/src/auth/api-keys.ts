import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database';

/** Scopes an API key can carry; `admin` implies every other. */
export const SCOPES = ['incidents:write', 'incidents:read', 'tasks:act', 'reports:read', 'directory:write', 'policies:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key: `yq_` and 32 url-safe characters. Only its hash is stored. */
export function generateApiKey(): string {
  return `yq_${randomBytes(24).toString('base64url')}`;
}

/** Creates (or replaces the key of) an API client; returns the key, which is shown only once. */
export async function createApiClient(
  db: Db,
  client: { id: string; name: string; scopes: readonly Scope[]; unitId?: string; personId?: string; key?: string },
): Promise<string> {
  const key = client.key ?? generateApiKey();
  const row = {
    id: client.id,
    name: client.name,
    keyHash: hashApiKey(key),
    keyPrefix: key.slice(0, 8),
    scopes: JSON.stringify(client.scopes),
    unitId: client.unitId ?? null,
    personId: client.personId ?? null,
  };
  await db
    .insertInto('apiClients')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, revokedAt: null }))
    .execute();
  return key;
}
