import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import { CREDENTIAL_QUERY_PARAMS, hashApiKey, type Actor, type Db, type Role, type Scope } from '@yuqing/shared';
import { AuthFailures } from './auth-failures';
import { HttpProblem, problems } from './problem';

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

/** The caller if one authenticated, else undefined: for the kit's own hooks (limits) that also see anonymous requests. */
export function authenticatedPrincipal(request: FastifyRequest): Principal | undefined {
  return request[PRINCIPAL];
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

/** `Bearer <key>`: the scheme is case-insensitive (RFC 9110 §11.1) and any run of blanks may follow it. */
const BEARER = /^[ \t]*bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key`.
 * A key in the query string is refused whatever the headers say: URLs end up in
 * proxies' logs and browsers' histories, so such a key is as good as published.
 */
function presentedKey(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  if (query && Object.keys(query).some((name) => CREDENTIAL_QUERY_PARAMS.has(name.toLowerCase()))) {
    throw new HttpProblem(
      400,
      'key_in_query',
      'Bad Request',
      'API keys are not accepted in the URL: send "Authorization: Bearer <key>" (or "X-API-Key: <key>"), and replace a key that was sent in a URL',
    );
  }
  const bearer = BEARER.exec(request.headers.authorization ?? '');
  if (bearer) return bearer[1];
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : undefined;
}

export interface AuthOptions {
  readonly db: Db;
  /** How long a looked-up key is trusted before it is read again (revocation delay). */
  readonly cacheMs?: number;
  /** Failed authentications allowed per client address and minute; beyond, 429 until the minute is over. */
  readonly failuresPerMinute?: number;
}

/**
 * API-key authentication for a service. Keys are looked up by their SHA-256 hash;
 * a short cache keeps the database off the hot path of intake.
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, { db, cacheMs = 10_000, failuresPerMinute = 30 }) => {
    const failures = new AuthFailures(failuresPerMinute);
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
        .select([
          'apiClients.id',
          'apiClients.name',
          'apiClients.keyHash',
          'apiClients.scopes',
          'apiClients.unitId',
          'apiClients.personId',
          'apiClients.revokedAt',
          'persons.roles',
          'persons.unitId as personUnitId',
        ])
        .where('apiClients.keyHash', '=', hash)
        .executeTakeFirst();
      const valid = row && !row.revokedAt && timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(hash));
      const principal: Principal | null = valid
        ? {
            id: row.id,
            kind: row.personId ? 'person' : 'client',
            name: row.name,
            scopes: row.scopes,
            ...((row.personUnitId ?? row.unitId) ? { unitId: (row.personUnitId ?? row.unitId)! } : {}),
            ...(row.personId ? { personId: row.personId } : {}),
            roles: row.personId && row.roles ? row.roles : [],
          }
        : null;
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { principal, expires: Date.now() + cacheMs });
      if (principal) void sql`update api_clients set last_used_at = now() where id = ${principal.id}`.execute(db).catch(() => undefined);
      return principal;
    }

    app.decorate('requireScope', (scope: Scope): onRequestAsyncHookHandler => {
      return async (request) => {
        // Checked before the key is even read: an address guessing keys learns nothing more until its window ends.
        failures.refuseIfBlocked(request.ip);
        const key = presentedKey(request);
        if (!key) throw failures.failed(request.ip, problems.unauthorized('send the API key as "Authorization: Bearer <key>" or "X-API-Key"'));
        const principal = await lookup(hashApiKey(key));
        if (!principal) throw failures.failed(request.ip, problems.unauthorized('unknown or revoked API key'));
        if (!hasScope(principal, scope)) throw problems.forbidden(`this key lacks the scope ${scope}`);
        request.principal = principal;
      };
    });
  },
  { name: 'yuqing-auth' },
);
