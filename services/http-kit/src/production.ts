import type { Config, Db } from '@yuqing/shared';

/**
 * In production the development client must not exist and real credentials must:
 * a service refuses to start otherwise (returns the reason, or undefined when fine).
 */
export async function productionCredentialProblem(db: Db, config: Pick<Config, 'NODE_ENV' | 'DEV_API_KEY'>): Promise<string | undefined> {
  if (config.NODE_ENV !== 'production') return undefined;
  if (config.DEV_API_KEY) return 'DEV_API_KEY is set: the development client has no place in production; unset it';
  const clients = await db.selectFrom('apiClients').select(['id']).where('revokedAt', 'is', null).execute();
  if (clients.some((c) => c.id === 'dev')) return 'the development client "dev" exists: revoke it (admin.js revoke-client dev) before running in production';
  if (clients.length === 0) return 'no API client exists: create real credentials first (node shared/dist/bin/admin.js create-client …)';
  return undefined;
}
