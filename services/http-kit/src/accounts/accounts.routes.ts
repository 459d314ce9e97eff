import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import {
  activationLink,
  deleteAccount,
  failedSignInsFrom,
  findAccount,
  hashPassword,
  issueActivation,
  listOpenSessions,
  needsRehash,
  openSession,
  recordAudit,
  recordFailedSignIn,
  recordSuccessfulSignIn,
  revokeSession,
  revokeSessionsOf,
  saveAccount,
  setPasswordHash,
  useActivation,
  verifyNothing,
  verifyPassword,
  type AccountRow,
  type AuditEntry,
  type Config,
  type Db,
  type Role,
  type Scope,
  type SessionSummary,
  type SignInMethod,
} from '@yuqing/shared';
import { requireAccess } from '../access/access';
import { actorOf, authenticatedSession, clearSessionCookies, type Principal, type RequestSession } from '../auth';
import { HttpProblem, problemResponses, problems } from '../problem';
import {
  AccountParams,
  AccountViewSchema,
  ActivateBody,
  ActivatedSchema,
  ActivationIssuedSchema,
  ChangePasswordBody,
  IssueActivationBody,
  OidcStartQuery,
  SaveAccountBody,
  SessionListSchema,
  SessionViewSchema,
  SignedOutEverywhereSchema,
  SignInBody,
} from './accounts.schemas';
import { OidcRefusal, OidcSignIn, oidcSettings } from './oidc';
import { CSRF_COOKIE, csrfTokenOf, OIDC_PATH, OIDC_STATE_COOKIE, SESSION_COOKIE, sessionCookieOptions } from './session-cookie';

const NoContent = z.null().describe('No Content');
const DEFAULT_SCOPES: readonly Scope[] = ['tasks:act', 'reports:read'];
/** Who records what nobody authenticated did: failed sign-ins. */
const SIGN_IN_ACTOR = { id: 'system:sign-in', kind: 'system' } as const;

const field = (name: string, message: string) => ({ field: name, pointer: `/${name.split('.').join('/')}`, message });
const iso = (d: Date | null) => d?.toISOString() ?? null;

interface PersonFacts {
  readonly id: string;
  readonly name: string;
  readonly unitId: string;
  readonly roles: Role[];
}

async function findPersonFacts(db: Db, id: string): Promise<PersonFacts | undefined> {
  return db.selectFrom('persons').select(['id', 'name', 'unitId', 'roles']).where('id', '=', id).executeTakeFirst();
}

/**
 * People sign in: password sign-in and single sign-on (OpenID Connect), the session
 * and its sign-out, one's own password, and, for administrators and each unit's
 * directory editors, people's accounts and their one-time activation links.
 * Registered by every service: a session opened on one is accepted by all three.
 */
export const accountRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (app, { db, config }) => {
  const tags = ['sign-in'];
  const settings = app.sessionSettings;
  const oidcConfig = oidcSettings(config);
  const oidc = oidcConfig ? new OidcSignIn(db, oidcConfig) : undefined;

  const sessionActor = (s: { id: string }, p: { unitId: string }) => ({ id: s.id, kind: 'person' as const, unitId: p.unitId });

  function sessionView(
    s: Pick<SessionSummary, 'id' | 'personId' | 'method' | 'createdAt' | 'expiresAt'>,
    person: PersonFacts,
    scopes: readonly Scope[],
    token: string,
  ) {
    const idleEnd = new Date(Math.min(Date.now() + settings.idleMs, s.expiresAt.getTime()));
    return {
      id: s.id,
      personId: s.personId,
      name: person.name,
      unitId: person.unitId,
      roles: person.roles,
      scopes: [...scopes],
      method: s.method,
      createdAt: s.createdAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      idleExpiresAt: idleEnd.toISOString(),
      csrfToken: csrfTokenOf(token),
    };
  }

  function setSessionCookies(reply: FastifyReply, token: string): void {
    reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(settings));
    reply.setCookie(CSRF_COOKIE, csrfTokenOf(token), sessionCookieOptions(settings, false));
  }

  /** Opens a session, records the sign-in and sets the cookies. */
  async function signIn(request: FastifyRequest, reply: FastifyReply, person: PersonFacts, account: AccountRow, method: SignInMethod, extra: object = {}) {
    const { token, session } = await db.transaction().execute(async (trx) => {
      await recordSuccessfulSignIn(trx, person.id);
      const opened = await openSession(trx, {
        personId: person.id,
        method,
        absoluteMs: settings.absoluteMs,
        address: request.ip,
        ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
      });
      await recordAudit(trx, {
        actor: sessionActor(opened.session, person),
        action: 'account.signed_in',
        entity: 'account',
        entityId: person.id,
        after: { method, sessionId: opened.session.id, ...extra },
        requestId: request.id,
      });
      return opened;
    });
    setSessionCookies(reply, token);
    return sessionView(session, person, account.scopes, token);
  }

  /** Records a failed sign-in (it counts towards the address's limit) and, for a known account, towards its lock. */
  async function failed(request: FastifyRequest, entityId: string, reason: string, account?: AccountRow): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const entries: AuditEntry[] = [
        {
          actor: SIGN_IN_ACTOR,
          action: 'account.sign_in_failed',
          entity: 'account',
          entityId: entityId.slice(0, 100),
          after: { address: request.ip, reason },
          requestId: request.id,
        },
      ];
      if (account) {
        const { locked, lockedUntil } = await recordFailedSignIn(trx, account.personId, config.SIGN_IN_MAX_FAILURES, config.SIGN_IN_FAILURE_WINDOW_MS);
        if (locked) {
          entries.push({
            actor: SIGN_IN_ACTOR,
            action: 'account.locked',
            entity: 'account',
            entityId: account.personId,
            after: { lockedUntil: iso(lockedUntil), failures: config.SIGN_IN_MAX_FAILURES },
            requestId: request.id,
          });
        }
      }
      await recordAudit(trx, entries);
    });
  }

  /** 429 when the address has failed too often within the window: checked before any password. */
  async function refuseBusyAddress(request: FastifyRequest, entityId: string): Promise<void> {
    const count = await failedSignInsFrom(db, request.ip, config.SIGN_IN_FAILURE_WINDOW_MS);
    if (count < config.SIGN_IN_MAX_FAILURES_PER_ADDRESS) return;
    await failed(request, entityId, 'address_limited');
    const seconds = Math.ceil(config.SIGN_IN_FAILURE_WINDOW_MS / 1000);
    throw new HttpProblem(
      429,
      'too_many_failed_sign_ins',
      'Too Many Requests',
      `本地址登录失败次数过多,请稍后再试 (more than ${config.SIGN_IN_MAX_FAILURES_PER_ADDRESS} failed sign-ins from this address within ${seconds} s)`,
      undefined,
      { 'retry-after': String(seconds) },
    );
  }

  const ownSession = (request: FastifyRequest): RequestSession => authenticatedSession(request)!;

  // ── Signing in and out ─────────────────────────────────────────────────────

  app.post(
    '/v1/session',
    {
      schema: {
        tags,
        summary: 'Sign in with the person’s id and password',
        description:
          'Sets the httpOnly session cookie `yq_session` (and `yq_csrf`, a readable copy of the CSRF token) and answers the session with its `csrfToken`. Failed sign-ins are limited per account (then locked) and per address, and audited.',
        security: [],
        body: SignInBody,
        response: { 200: SessionViewSchema, ...problemResponses(400, 401, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const { personId, password } = request.body;
      await refuseBusyAddress(request, personId);
      const account = await findAccount(db, personId);
      if (account?.lockedUntil && account.lockedUntil.getTime() > Date.now()) {
        await failed(request, personId, 'locked');
        const seconds = Math.max(1, Math.ceil((account.lockedUntil.getTime() - Date.now()) / 1000));
        throw new HttpProblem(
          429,
          'account_locked',
          'Too Many Requests',
          `登录失败次数过多,账号已暂时锁定,请 ${Math.ceil(seconds / 60)} 分钟后再试 (locked after repeated failed sign-ins)`,
          undefined,
          { 'retry-after': String(seconds) },
        );
      }
      const ok = account?.passwordHash ? await verifyPassword(password, account.passwordHash) : await verifyNothing(password);
      const person = ok ? await findPersonFacts(db, personId) : undefined;
      if (!ok || !account || !person) {
        await failed(request, personId, !account ? 'unknown_account' : !account.passwordHash ? 'not_activated' : 'wrong_password', account);
        throw new HttpProblem(401, 'invalid_credentials', 'Unauthorized', '人员编号或密码错误 (personId or password is wrong)', [
          field('body.personId', '人员编号或密码错误'),
          field('body.password', '人员编号或密码错误'),
        ]);
      }
      if (needsRehash(account.passwordHash!)) await setPasswordHash(db, personId, await hashPassword(password));
      return signIn(request, reply, person, account, 'password');
    },
  );

  app.get(
    '/v1/session',
    {
      onRequest: app.requireSession(),
      schema: {
        tags,
        summary: 'The signed-in person and their session (with its CSRF token)',
        security: [{ session: [] }],
        response: { 200: SessionViewSchema, ...problemResponses(401) },
      },
    },
    async (request) => {
      const s = ownSession(request);
      const p = request.principal;
      const person = { id: s.personId, name: p.name, unitId: p.unitId!, roles: [...p.roles] };
      return sessionView({ id: s.id, personId: s.personId, method: s.method, createdAt: s.createdAt, expiresAt: s.expiresAt }, person, p.scopes, s.token);
    },
  );

  app.delete(
    '/v1/session',
    {
      onRequest: app.requireSession(),
      schema: {
        tags,
        summary: 'Sign out (this session)',
        security: [{ session: [] }],
        response: { 204: NoContent, ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const s = ownSession(request);
      await db.transaction().execute(async (trx) => {
        await revokeSession(trx, s.id);
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          action: 'account.signed_out',
          entity: 'account',
          entityId: s.personId,
          requestId: request.id,
        });
      });
      clearSessionCookies(reply, settings);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/sessions',
    {
      onRequest: app.requireSession(),
      schema: { tags, summary: 'My open sessions', security: [{ session: [] }], response: { 200: SessionListSchema, ...problemResponses(401) } },
    },
    async (request) => {
      const s = ownSession(request);
      const idleSince = Date.now() - settings.idleMs;
      const rows = (await listOpenSessions(db, s.personId)).filter((r) => r.lastSeenAt.getTime() > idleSince);
      return {
        items: rows.map((r) => ({
          id: r.id,
          method: r.method,
          createdAt: r.createdAt.toISOString(),
          lastSeenAt: r.lastSeenAt.toISOString(),
          expiresAt: r.expiresAt.toISOString(),
          userAgent: r.userAgent,
          current: r.id === s.id,
        })),
      };
    },
  );

  app.delete(
    '/v1/sessions',
    {
      onRequest: app.requireSession(),
      schema: {
        tags,
        summary: 'Sign out everywhere: every session of mine ends, this one too',
        security: [{ session: [] }],
        response: { 200: SignedOutEverywhereSchema, ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const s = ownSession(request);
      const revoked = await db.transaction().execute(async (trx) => {
        const n = await revokeSessionsOf(trx, s.personId);
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          action: 'account.signed_out_everywhere',
          entity: 'account',
          entityId: s.personId,
          after: { sessionsEnded: n },
          requestId: request.id,
        });
        return n;
      });
      clearSessionCookies(reply, settings);
      return { revoked };
    },
  );

  app.put(
    '/v1/session/password',
    {
      onRequest: app.requireSession(),
      schema: {
        tags,
        summary: 'Change my password (the current one is required); my other sessions end',
        security: [{ session: [] }],
        body: ChangePasswordBody,
        response: { 204: NoContent, ...problemResponses(400, 401, 403, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const s = ownSession(request);
      const { currentPassword, newPassword } = request.body;
      const account = await findAccount(db, s.personId);
      const ok = account?.passwordHash ? await verifyPassword(currentPassword, account.passwordHash) : await verifyNothing(currentPassword);
      if (!ok || !account) {
        // A session left open must not let its finder try passwords without end.
        await failed(request, s.personId, 'wrong_current_password', account);
        throw problems.invalid('当前密码不正确 (currentPassword is wrong)', [field('body.currentPassword', '当前密码不正确')]);
      }
      if (newPassword === currentPassword) throw problems.invalid('新密码不能与当前密码相同', [field('body.newPassword', '新密码不能与当前密码相同')]);
      if (newPassword.toLowerCase() === s.personId.toLowerCase())
        throw problems.invalid('密码不能与人员编号相同', [field('body.newPassword', '密码不能与人员编号相同')]);
      const hash = await hashPassword(newPassword);
      await db.transaction().execute(async (trx) => {
        await setPasswordHash(trx, s.personId, hash);
        const ended = await revokeSessionsOf(trx, s.personId, s.id);
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          action: 'account.password_changed',
          entity: 'account',
          entityId: s.personId,
          after: { otherSessionsEnded: ended },
          requestId: request.id,
        });
      });
      return reply.code(204).send(null);
    },
  );

  // ── Activation: the link an administrator or the unit's editor issues ───────

  app.post(
    '/v1/accounts/activate',
    {
      schema: {
        tags,
        summary: 'Set the password with a one-time activation link',
        description:
          'The link works once and until it expires; a new link for the same person makes older ones stop working. Every session of the person ends.',
        security: [],
        body: ActivateBody,
        response: { 200: ActivatedSchema, ...problemResponses(400, 404, 410, 415, 422, 429) },
      },
    },
    async (request) => {
      const { token, password } = request.body;
      await refuseBusyAddress(request, 'activation');
      const hash = await hashPassword(password);
      const outcome = await db.transaction().execute(async (trx) => {
        const used = await useActivation(trx, token);
        if (!used.ok) return used;
        const person = await trx.selectFrom('persons').select(['id', 'unitId']).where('id', '=', used.personId).executeTakeFirstOrThrow();
        if (password.toLowerCase() === person.id.toLowerCase()) return { ok: false as const, reason: 'password_is_id' as const };
        await setPasswordHash(trx, person.id, hash);
        const ended = await revokeSessionsOf(trx, person.id);
        await recordAudit(trx, {
          // The link is the credential: the person acted through it.
          actor: { id: used.id, kind: 'person', unitId: person.unitId },
          action: 'account.activated',
          entity: 'account',
          entityId: person.id,
          after: { activationId: used.id, sessionsEnded: ended },
          requestId: request.id,
        });
        return used;
      });
      if (outcome.ok) return { personId: outcome.personId };
      if (outcome.reason === 'password_is_id') throw problems.invalid('密码不能与人员编号相同', [field('body.password', '密码不能与人员编号相同')]);
      await failed(request, outcome.personId ?? 'activation', `activation_${outcome.reason}`);
      const tokenField = [field('body.token', '激活链接无效、已使用或已过期')];
      if (outcome.reason === 'unknown') throw new HttpProblem(404, 'activation_not_found', 'Not Found', '激活链接无效 (unknown activation token)', tokenField);
      if (outcome.reason === 'used')
        throw new HttpProblem(410, 'activation_used', 'Gone', '激活链接已使用过,请联系管理员重新签发 (the link was already used)', tokenField);
      throw new HttpProblem(410, 'activation_expired', 'Gone', '激活链接已过期,请联系管理员重新签发 (the link expired)', tokenField);
    },
  );

  // ── Accounts, for administrators and each unit's directory editors ──────────

  const editor = app.requireScope('directory:write');
  const union = (a: readonly Scope[], b: readonly Scope[]) => [...new Set([...a, ...b])];

  async function personOr404(personId: string): Promise<PersonFacts> {
    const person = await findPersonFacts(db, personId);
    if (!person) throw problems.notFound(`person ${personId}`);
    return person;
  }

  async function accountView(account: AccountRow) {
    const open = await db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('personId', '=', account.personId)
      .where('revokedAt', 'is', null)
      .where('expiresAt', '>', sql<Date>`now()`)
      .where('lastSeenAt', '>', sql<Date>`now() - ${`${settings.idleMs} milliseconds`}::interval`)
      .executeTakeFirstOrThrow();
    return {
      personId: account.personId,
      scopes: account.scopes,
      activated: account.passwordHash !== null,
      passwordChangedAt: iso(account.passwordChangedAt),
      lockedUntil: account.lockedUntil && account.lockedUntil.getTime() > Date.now() ? account.lockedUntil.toISOString() : null,
      openSessions: Number(open.n),
      createdAt: account.createdAt.toISOString(),
      updatedAt: account.updatedAt.toISOString(),
    };
  }

  const auditBy = (p: Principal, requestId: string) => ({ actor: actorOf(p), requestId });

  app.get(
    '/v1/accounts/:personId',
    {
      onRequest: editor,
      schema: {
        tags,
        summary: 'A person’s account: scopes, activated, locked, open sessions',
        params: AccountParams,
        response: { 200: AccountViewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const person = await personOr404(request.params.personId);
      await requireAccess(app.access, request.principal, 'account.issue', { unitId: person.unitId, scopes: [], roles: [] });
      const account = await findAccount(db, person.id);
      if (!account) throw problems.notFound(`account of ${person.id} (该人员尚未开通账号)`);
      return accountView(account);
    },
  );

  app.put(
    '/v1/accounts/:personId',
    {
      onRequest: editor,
      schema: {
        tags,
        summary: 'Open a person’s account or change its scopes (no password: for single sign-on, or until an activation link is used)',
        params: AccountParams,
        body: SaveAccountBody,
        response: { 200: AccountViewSchema, 201: AccountViewSchema, ...problemResponses(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request, reply) => {
      const person = await personOr404(request.params.personId);
      const before = await findAccount(db, person.id);
      const scopes = [...new Set(request.body.scopes)];
      await requireAccess(app.access, request.principal, 'account.issue', {
        unitId: person.unitId,
        scopes: union(before?.scopes ?? [], scopes),
        roles: person.roles,
      });
      const after = await db.transaction().execute(async (trx) => {
        const saved = await saveAccount(trx, { personId: person.id, scopes, createdBy: request.principal.id });
        await recordAudit(trx, {
          ...auditBy(request.principal, request.id),
          action: before ? 'account.updated' : 'account.opened',
          entity: 'account',
          entityId: person.id,
          ...(before ? { before: { scopes: before.scopes } } : {}),
          after: { scopes },
        });
        return saved;
      });
      return reply.code(before ? 200 : 201).send(await accountView(after));
    },
  );

  app.delete(
    '/v1/accounts/:personId',
    {
      onRequest: editor,
      schema: {
        tags,
        summary: 'Close a person’s account: their sessions end, their links stop working',
        params: AccountParams,
        response: { 204: NoContent, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const person = await personOr404(request.params.personId);
      const account = await findAccount(db, person.id);
      if (!account) throw problems.notFound(`account of ${person.id}`);
      await requireAccess(app.access, request.principal, 'account.issue', { unitId: person.unitId, scopes: account.scopes, roles: person.roles });
      await db.transaction().execute(async (trx) => {
        const ended = await revokeSessionsOf(trx, person.id);
        await trx
          .updateTable('accountActivations')
          .set({ expiresAt: sql`now()` })
          .where('personId', '=', person.id)
          .where('usedAt', 'is', null)
          .execute();
        await deleteAccount(trx, person.id);
        await recordAudit(trx, {
          ...auditBy(request.principal, request.id),
          action: 'account.closed',
          entity: 'account',
          entityId: person.id,
          before: { scopes: account.scopes },
          after: { sessionsEnded: ended },
        });
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/accounts/:personId/activation',
    {
      onRequest: editor,
      schema: {
        tags,
        summary: 'Issue a one-time activation link (opens the account if needed); the answer shows the token once',
        description:
          'Whoever holds the link sets the person’s password, so it is issued only by someone who may grant every scope of the account and every role of the person: the city’s administrators, or the directory editor of the person’s own unit. Only its SHA-256 is stored; it expires (ACTIVATION_TTL_MS) and works once.',
        params: AccountParams,
        body: IssueActivationBody,
        response: { 201: ActivationIssuedSchema, ...problemResponses(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request, reply) => {
      const person = await personOr404(request.params.personId);
      const before = await findAccount(db, person.id);
      const scopes = request.body.scopes ? [...new Set(request.body.scopes)] : (before?.scopes ?? [...DEFAULT_SCOPES]);
      await requireAccess(app.access, request.principal, 'account.issue', {
        unitId: person.unitId,
        scopes: union(before?.scopes ?? [], scopes),
        roles: person.roles,
      });
      const issued = await db.transaction().execute(async (trx) => {
        if (!before || request.body.scopes) await saveAccount(trx, { personId: person.id, scopes, createdBy: request.principal.id });
        const activation = await issueActivation(trx, { personId: person.id, ttlMs: config.ACTIVATION_TTL_MS, createdBy: request.principal.id });
        await recordAudit(trx, {
          ...auditBy(request.principal, request.id),
          action: 'account.activation_issued',
          entity: 'account',
          entityId: person.id,
          ...(before ? { before: { scopes: before.scopes } } : {}),
          after: { activationId: activation.id, scopes, expiresAt: activation.expiresAt.toISOString() },
        });
        return activation;
      });
      return reply.code(201).send({
        id: issued.id,
        personId: person.id,
        token: issued.token,
        link: activationLink(config.REPORTING_PUBLIC_URL, issued.token),
        expiresAt: issued.expiresAt.toISOString(),
      });
    },
  );

  app.delete(
    '/v1/accounts/:personId/sessions',
    {
      onRequest: editor,
      schema: {
        tags,
        summary: 'Sign a person out everywhere (a lost phone, a person leaving)',
        params: AccountParams,
        response: { 200: SignedOutEverywhereSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const person = await personOr404(request.params.personId);
      const account = await findAccount(db, person.id);
      await requireAccess(app.access, request.principal, 'account.issue', { unitId: person.unitId, scopes: account?.scopes ?? [], roles: person.roles });
      const revoked = await db.transaction().execute(async (trx) => {
        const n = await revokeSessionsOf(trx, person.id);
        await recordAudit(trx, {
          ...auditBy(request.principal, request.id),
          action: 'account.sessions_revoked',
          entity: 'account',
          entityId: person.id,
          after: { sessionsEnded: n },
        });
        return n;
      });
      return { revoked };
    },
  );

  // ── Single sign-on (OpenID Connect) ─────────────────────────────────────────

  const notConfigured = () => new HttpProblem(404, 'sign_on_not_configured', 'Not Found', '未配置单点登录 (OIDC_ISSUER is not set)');
  const Redirect = z.null().describe('Found: the Location header says where');

  app.get(
    OIDC_PATH,
    {
      schema: {
        tags,
        summary: 'Single sign-on: go to the identity provider',
        description:
          'Answers 302 to the provider (authorization code flow with PKCE, state and nonce); it comes back to the callback, which signs in and lands on `returnTo`.',
        security: [],
        querystring: OidcStartQuery,
        response: { 302: Redirect, ...problemResponses(400, 404, 503) },
      },
    },
    async (request, reply) => {
      if (!oidc) throw notConfigured();
      let started: { url: URL; state: string };
      try {
        started = await oidc.start(request.query.returnTo ?? '/console/');
      } catch (err) {
        if (err instanceof OidcRefusal) throw problems.unavailable('统一身份认证平台暂时无法访问,请稍后再试 (the identity provider is unreachable)');
        throw err;
      }
      reply.setCookie(OIDC_STATE_COOKIE, started.state, { ...sessionCookieOptions(settings), path: OIDC_PATH, maxAge: 600 });
      return reply.redirect(started.url.href, 302);
    },
  );

  app.get(
    `${OIDC_PATH}/callback`,
    {
      schema: {
        tags,
        summary: 'Single sign-on: where the identity provider sends the browser back',
        description: `The configured claim (OIDC_PERSON_CLAIM) names the person, by id or e-mail (OIDC_PERSON_MATCH); a person without an account, or an identity that names nobody, is refused (403) and audited.`,
        security: [],
        response: { 302: Redirect, ...problemResponses(400, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      if (!oidc) throw notConfigured();
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      reply.clearCookie(OIDC_STATE_COOKIE, { ...sessionCookieOptions(settings), path: OIDC_PATH });
      let result: Awaited<ReturnType<OidcSignIn['finish']>>;
      try {
        result = await oidc.finish(query, request.cookies[OIDC_STATE_COOKIE]);
      } catch (err) {
        if (!(err instanceof OidcRefusal)) throw err;
        request.log.warn({ reason: err.reason, cause: err.message }, 'single sign-on refused');
        await failed(request, 'sign-on', `oidc_${err.reason}`);
        if (err.reason === 'unavailable') throw problems.unavailable('统一身份认证平台暂时无法访问,请稍后再试 (the identity provider is unreachable)');
        throw new HttpProblem(400, 'sign_on_refused', 'Bad Request', '单点登录未完成,请重新登录 (the sign-on could not be completed; start again)');
      }
      const { personClaim, personMatch } = oidc.settings;
      const person = result.claimValue
        ? await db
            .selectFrom('persons')
            .select(['id', 'name', 'unitId', 'roles'])
            .where(
              personMatch === 'id' ? sql<string>`id` : sql<string>`lower(contacts ->> 'email')`,
              '=',
              personMatch === 'id' ? result.claimValue : result.claimValue.toLowerCase(),
            )
            .execute()
        : [];
      const account = person.length === 1 ? await findAccount(db, person[0]!.id) : undefined;
      if (person.length !== 1 || !account) {
        await failed(request, person[0]?.id ?? `oidc:${result.subject}`.slice(0, 100), person.length !== 1 ? 'unknown_subject' : 'no_account');
        throw new HttpProblem(
          403,
          'unknown_person',
          'Forbidden',
          `统一身份认证的身份(${personClaim})未对应到本系统已开通账号的人员,请联系管理员 (the identity names no person with an account)`,
        );
      }
      await signIn(request, reply, person[0]!, account, 'oidc', { subject: result.subject });
      return reply.redirect(result.returnTo, 302);
    },
  );
};
