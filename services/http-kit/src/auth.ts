import { timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import { CREDENTIAL_QUERY_PARAMS, findLiveSession, hashApiKey, touchSession, type Actor, type Config, type Db, type Role, type Scope } from '@yuqing/shared';
import {
  CSRF_COOKIE,
  CSRF_HEADER,
  csrfTokenMatches,
  SAFE_METHODS,
  SESSION_COOKIE,
  sessionCookieOptions,
  sessionSettings,
  type SessionSettings,
} from './accounts/session-cookie';
import { AuthFailures } from './auth-failures';
import { HttpProblem, problems } from './problem';

/**
 * Who is calling: a system (API client) or a person acting for a unit, with a
 * personal key or signed in (a session): both are the same principal, decided on
 * by the same access policy.
 */
export interface Principal {
  /** The key's id (a person may hold several keys), or the session's (`ses_…`). */
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
const SESSION = Symbol('session');

/** The session a request was authenticated with: its public id and its token (for the CSRF token and sign-out). */
export interface RequestSession {
  readonly id: string;
  readonly personId: string;
  readonly token: string;
  readonly method: 'password' | 'oidc';
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The authenticated caller. Reading it on a route without `requireScope`
     * answers 401 instead of going on without one.
     */
    principal: Principal;
    [PRINCIPAL]?: Principal;
    [SESSION]?: RequestSession;
  }
  interface FastifyInstance {
    /**
     * onRequest hook: authenticates the caller (an API key, else the session
     * cookie, with the CSRF header on unsafe methods) and checks that it holds `scope`.
     */
    requireScope(scope: Scope): onRequestAsyncHookHandler;
    /** onRequest hook for a signed-in person's own session and account: the session cookie only. */
    requireSession(): onRequestAsyncHookHandler;
    /** How sessions are timed and their cookies set. */
    readonly sessionSettings: SessionSettings;
  }
}

/** The session the request was authenticated with, if it was by the session cookie. */
export function authenticatedSession(request: FastifyRequest): RequestSession | undefined {
  return request[SESSION];
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
  /** Session timeouts and cookies; defaults: 30 min idle, 12 h absolute, not Secure. */
  readonly sessions?: SessionSettings;
  /** How long a looked-up key is trusted before it is read again (revocation delay). */
  readonly cacheMs?: number;
  /** Failed authentications allowed per client address and minute; beyond, 429 until the minute is over. */
  readonly failuresPerMinute?: number;
}

/** The auth plugin's options from the configuration. */
export function authOptions(db: Db, config: Config): AuthOptions {
  return { db, sessions: sessionSettings(config), failuresPerMinute: config.AUTH_FAILURES_PER_MINUTE };
}

/** Tells the browser to drop the session's cookies (signed out, or the session ended). */
export function clearSessionCookies(reply: FastifyReply, settings: SessionSettings): void {
  reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(settings));
  reply.clearCookie(CSRF_COOKIE, sessionCookieOptions(settings, false));
}

const DEFAULT_SESSIONS: SessionSettings = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000, secureCookie: false };

const csrfRefused = () =>
  new HttpProblem(
    403,
    'csrf_token_invalid',
    'Forbidden',
    '缺少或错误的 X-CSRF-Token 请求头:以登录会话提交的修改须带上登录时取得的 csrfToken (the header x-csrf-token is missing or wrong)',
    [{ field: `headers.${CSRF_HEADER}`, pointer: `/headers/${CSRF_HEADER}`, message: '缺少或与本会话不符' }],
  );

/**
 * Authentication for a service: API keys (looked up by their SHA-256 hash, with a
 * short cache that keeps the database off the hot path of intake) and people's
 * sessions (the cookie's token, looked up by its hash in the table the three
 * services share, on every request, so that signing out applies at once).
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, { db, sessions = DEFAULT_SESSIONS, cacheMs = 10_000, failuresPerMinute = 30 }) => {
    await app.register(cookie);
    app.decorate('sessionSettings', sessions);
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

    // Often enough that the idle timeout is measured to a tenth of itself, rarely enough that reads stay reads.
    const touchEveryMs = Math.min(60_000, sessions.idleMs / 10);

    /** The principal of the session cookie, checking the CSRF header on unsafe methods; 401 (and the cookies dropped) when it ended. */
    async function sessionPrincipal(request: FastifyRequest, reply: FastifyReply, token: string): Promise<Principal> {
      const live = await findLiveSession(db, token, sessions.idleMs);
      if (!live) {
        clearSessionCookies(reply, sessions);
        throw failures.failed(request.ip, problems.unauthorized('登录已失效,请重新登录 (the session ended: signed out, idle or expired)'));
      }
      if (!SAFE_METHODS.has(request.method)) {
        const presented = request.headers[CSRF_HEADER];
        if (!csrfTokenMatches(token, typeof presented === 'string' ? presented : undefined)) throw csrfRefused();
      }
      if (Date.now() - live.lastSeenAt.getTime() > touchEveryMs) await touchSession(db, live.id);
      request[SESSION] = { id: live.id, personId: live.personId, token, method: live.method, createdAt: live.createdAt, expiresAt: live.expiresAt };
      return { id: live.id, kind: 'person', name: live.personName, scopes: live.scopes, unitId: live.unitId, personId: live.personId, roles: live.roles };
    }

    app.decorate('requireScope', (scope: Scope): onRequestAsyncHookHandler => {
      return async (request, reply) => {
        // Checked before the key is even read: an address guessing keys learns nothing more until its window ends.
        failures.refuseIfBlocked(request.ip);
        const key = presentedKey(request);
        // A key wins over a cookie: a system's call is the key's, whatever browser state came along.
        const sessionToken = key ? undefined : request.cookies[SESSION_COOKIE];
        let principal: Principal | null;
        if (key) {
          principal = await lookup(hashApiKey(key));
          if (!principal) throw failures.failed(request.ip, problems.unauthorized('unknown or revoked API key'));
        } else if (sessionToken) {
          principal = await sessionPrincipal(request, reply, sessionToken);
        } else {
          throw failures.failed(
            request.ip,
            problems.unauthorized(
              '未登录:请登录,或以 "Authorization: Bearer <key>" 提供密钥 (sign in, or send the API key as "Authorization: Bearer <key>" or "X-API-Key")',
            ),
          );
        }
        if (!hasScope(principal, scope)) throw problems.forbidden(`this ${sessionToken ? 'account' : 'key'} lacks the scope ${scope}`);
        request.principal = principal;
      };
    });

    app.decorate('requireSession', (): onRequestAsyncHookHandler => {
      return async (request, reply) => {
        failures.refuseIfBlocked(request.ip);
        const token = request.cookies[SESSION_COOKIE];
        // Not signed in is the normal state of a page asking whether it is: no lookup was made, so nothing counts against the address.
        if (!token) throw problems.unauthorized('未登录 (no session: sign in with POST /v1/session)');
        request.principal = await sessionPrincipal(request, reply, token);
      };
    });
  },
  { name: 'yuqing-auth' },
);
