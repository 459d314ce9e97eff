import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import { hashApiKey, type Actor, type Db, type Role, type Scope } from '@yuqing/shared';
import { problems } from './problem';

/** Who is calling: a system (API client) or a person acting for a unit. */
export interface Principal {
  /** The key's id (a person may hold several keys). */
  readonly id: string;
  readonly kind: 'client' | 'person';
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly unitId?: string;
  readonly personId?: string;
  /** The person's roles in the plan; none for a system key. */
  readonly roles: readonly Role[];
}

const PRINCIPAL = Symbol('principal');

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The authenticated caller. Reading it on a route without `requireScope`
     * answers 401 instead of going on without one.
     */
    principal: Principal;
    [PRINCIPAL]?: Principal;
  }
  interface FastifyInstance {
    /** onRequest hook: authenticates the caller and checks that it holds `scope`. */
    requireScope(scope: Scope): onRequestAsyncHookHandler;
  }
}

/** The actor recorded in events and the audit log for a principal. */
export function actorOf(principal: Principal, requestId?: string): Actor {
  return {
    ...(requestId ? { requestId } : {}),
    id: principal.id,
    kind: principal.kind,
    name: principal.name,
    ...(principal.personId ? { personId: principal.personId } : {}),
    ...(principal.unitId ? { unitId: principal.unitId } : {}),
    ...(principal.roles.length ? { roles: [...principal.roles] } : {}),
  };
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

export interface AuthOptions {
  readonly db: Db;
  /** How long a looked-up key is trusted before it is read again (revocation delay). */
  readonly cacheMs?: number;
}

/**
 * API-key authentication for a service. Keys are looked up by their SHA-256 hash;
 * a short cache keeps the database off the hot path of intake.
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, { db, cacheMs = 10_000 }) => {
    const cache = new Map<string, { principal: Principal | null; expires: number }>();
    app.decorateRequest('principal', {
      getter(this: FastifyRequest): Principal {
        const principal = this[PRINCIPAL];
        if (!principal) throw problems.unauthorized('this route needs an authenticated caller');
        return principal;
      },
      setter(this: FastifyRequest, value: Principal) {
        this[PRINCIPAL] = value;
      },
    });

    async function lookup(hash: string): Promise<Principal | null> {
      const cached = cache.get(hash);
      if (cached && cached.expires > Date.now()) return cached.principal;
      const row = await db
        .selectFrom('apiClients')
        .leftJoin('persons', 'persons.id', 'apiClients.personId')
        .select(['apiClients.id', 'apiClients.name', 'apiClients.keyHash', 'apiClients.scopes', 'apiClients.unitId', 'apiClients.personId', 'apiClients.revokedAt', 'persons.roles', 'persons.unitId as personUnitId'])
        .where('apiClients.keyHash', '=', hash)
        .executeTakeFirst();
      const valid = row && !row.revokedAt && timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(hash));
      const principal: Principal | null = valid
        ? {
            id: row.id,
            kind: row.personId ? 'person' : 'client',
            name: row.name,
            scopes: row.scopes as Scope[],
            ...((row.personUnitId ?? row.unitId) ? { unitId: (row.personUnitId ?? row.unitId)! } : {}),
            ...(row.personId ? { personId: row.personId } : {}),
            roles: row.personId && row.roles ? (row.roles as Role[]) : [],
          }
        : null;
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { principal, expires: Date.now() + cacheMs });
      if (principal) void sql`update api_clients set last_used_at = now() where id = ${principal.id}`.execute(db).catch(() => undefined);
      return principal;
    }

    app.decorate('requireScope', (scope: Scope): onRequestAsyncHookHandler => {
      return async (request) => {
        const key = presentedKey(request);
        if (!key) throw problems.unauthorized('send the API key as "Authorization: Bearer <key>" or "X-API-Key"');
        const principal = await lookup(hashApiKey(key));
        if (!principal) throw problems.unauthorized('unknown or revoked API key');
        if (!hasScope(principal, scope)) throw problems.forbidden(`this key lacks the scope ${scope}`);
        request.principal = principal;
      };
    });
  },
  { name: 'yuqing-auth' },
);
