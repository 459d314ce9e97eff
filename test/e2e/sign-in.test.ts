/**
 * People sign in (issue 14), over real HTTP to the three services listening on
 * their own ports, with a cookie jar that keeps cookies per host as a browser
 * does, against PostgreSQL, and, for single sign-on, a real OpenID provider
 * (`oidc-provider`) in a process of its own. Limits and timeouts that need their
 * own settings run on further dispatch apps over the same database.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { DEFAULT_POLICY, loadConfig } from '@yuqing/shared';
import type { App } from '@yuqing/http-kit';
import {
  freePort,
  REPO_ROOT,
  sleep,
  startDispatchApp,
  startOidcProvider,
  startTestPlatform,
  TestBrowser,
  type AppName,
  type BrowserAnswer,
  type TestOidcProvider,
  type TestPlatform,
} from '@yuqing/testkit';

jest.setTimeout(180_000);

let p: TestPlatform;
let oidc: TestOidcProvider;
const urls = {} as Record<AppName, string>;
const k = {} as Record<'admin' | 'monitoring' | 'nangangEditor' | 'officeEditor', string>;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const PASSWORD = '南岗-签收-2026-长密码';

beforeAll(async () => {
  const ports = { intake: await freePort(), dispatch: await freePort(), reporting: await freePort() };
  for (const name of Object.keys(ports) as AppName[]) urls[name] = `http://127.0.0.1:${ports[name]}`;
  const callback = `${urls.reporting}/v1/session/oidc/callback`;
  oidc = await startOidcProvider(callback);
  p = await startTestPlatform({
    policy: DEFAULT_POLICY,
    env: {
      REPORTING_PUBLIC_URL: urls.reporting,
      SIGN_IN_MAX_FAILURES: '3',
      SIGN_IN_MAX_FAILURES_PER_ADDRESS: '50',
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: oidc.clientId,
      OIDC_CLIENT_SECRET: oidc.clientSecret,
      OIDC_REDIRECT_URI: callback,
    },
  });
  for (const name of Object.keys(ports) as AppName[]) await p.apps[name].listen({ host: '127.0.0.1', port: ports[name] });
  const district = ['incidents:write', 'incidents:read', 'tasks:act', 'reports:read', 'directory:write', 'policies:write'] as const;
  k.admin = await p.key({ scopes: ['admin'], id: 'city-admin' });
  k.monitoring = await p.key({ scopes: ['incidents:write', 'incidents:read'], id: 'monitoring-platform' });
  k.nangangEditor = await p.key({ scopes: [...district], unitId: 'district-230103', roles: ['district_bureau'] });
  k.officeEditor = await p.key({ scopes: ['tasks:act', 'reports:read', 'directory:write'], unitId: 'opinion-office', roles: ['opinion_office'] });
  // 南岗区's person, with an incident of 南岗区 to work on: most tests below use them.
  await enrol('li-nangang', 'district-230103', ['district_bureau']);
  await p.report(k.monitoring);
});

afterAll(async () => {
  await p?.stop();
  await oidc?.stop();
});

/** Adds a person (as the city administrator), issues their activation link and sets their password with it. */
async function enrol(id: string, unitId: string, roles: string[], scopes?: string[]): Promise<string> {
  const added = await p.call('dispatch', k.admin, 'POST', '/v1/persons', { id, unitId, name: `测试 ${id}`, roles });
  expect(added.statusCode).toBe(201);
  const issued = await p.call('dispatch', k.admin, 'POST', `/v1/accounts/${id}/activation`, scopes ? { scopes } : {});
  expect(issued.statusCode).toBe(201);
  const set = await new TestBrowser().request(`${urls.dispatch}/v1/accounts/activate`, {
    method: 'POST',
    body: { token: issued.json().token, password: PASSWORD },
  });
  expect(set.status).toBe(200);
  return PASSWORD;
}

async function signIn(b: TestBrowser, service: AppName, personId: string, password = PASSWORD): Promise<BrowserAnswer> {
  return b.request(`${urls[service]}/v1/session`, { method: 'POST', body: { personId, password } });
}

/** A browser signed in as `personId`, with the CSRF token its sign-in answered. */
async function signedIn(personId: string, service: AppName = 'reporting'): Promise<{ b: TestBrowser; csrf: string; sessionId: string }> {
  const b = new TestBrowser();
  const res = await signIn(b, service, personId);
  expect(res.status).toBe(200);
  return { b, csrf: res.json<{ csrfToken: string }>().csrfToken, sessionId: res.json<{ id: string }>().id };
}

const audit = (action: string, entityId: string) =>
  p.t.db
    .selectFrom('auditLog')
    .select(['actorId', 'actorKind', 'unitId', 'after'])
    .where('action', '=', action)
    .where('entityId', '=', entityId)
    .orderBy('id')
    .execute();

function expectProblem(res: BrowserAnswer, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  const body = res.json<{ code: string; detail: string; errors?: { field: string; message: string }[] }>();
  expect(body.code).toBe(code);
  return body;
}

describe('signing in', () => {
  it('a session opened on reporting works on dispatch, reporting and intake; the cookie is httpOnly and Lax, only its hash is stored', async () => {
    const b = new TestBrowser();
    const res = await signIn(b, 'reporting', 'li-nangang');
    expect(res.status).toBe(200);
    const session = res.json<{ id: string; personId: string; unitId: string; roles: string[]; scopes: string[]; csrfToken: string; method: string }>();
    expect(session).toMatchObject({
      personId: 'li-nangang',
      unitId: 'district-230103',
      roles: ['district_bureau'],
      scopes: ['tasks:act', 'reports:read'],
      method: 'password',
    });
    expect(res.text).not.toContain(PASSWORD);

    const cookie = b.jar.get('yq_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
    expect(b.jar.get('yq_csrf')).toMatchObject({ httpOnly: false, value: session.csrfToken });
    expect(session.csrfToken).not.toBe(cookie.value);
    const stored = await p.t.db.selectFrom('sessions').select(['tokenHash', 'personId']).where('id', '=', session.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ tokenHash: sha256(cookie.value), personId: 'li-nangang' });
    expect((await audit('account.signed_in', 'li-nangang')).at(-1)).toMatchObject({ actorId: session.id, actorKind: 'person', unitId: 'district-230103' });

    // The same cookie, sent by the browser to the other ports of the host.
    const tasks = await b.request(`${urls.dispatch}/v1/tasks`);
    expect(tasks.status).toBe(200);
    const items = tasks.json<{ items: { unitId: string }[] }>().items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((t) => t.unitId === 'district-230103')).toBe(true);
    expect((await b.request(`${urls.reporting}/v1/incidents`)).status).toBe(200);
    for (const service of ['intake', 'dispatch', 'reporting'] as const) {
      const me = await b.request(`${urls[service]}/v1/session`);
      expect(me.status).toBe(200);
      expect(me.json()).toMatchObject({ id: session.id, personId: 'li-nangang', csrfToken: session.csrfToken });
    }

    // Without the cookie: nobody.
    const stranger = new TestBrowser();
    expectProblem(await stranger.request(`${urls.dispatch}/v1/tasks`), 401, 'unauthorized');
    expectProblem(await stranger.request(`${urls.dispatch}/v1/session`), 401, 'unauthorized');
  });

  it('a wrong password is refused without saying which part was wrong, audited, and the account locks after the limit', async () => {
    await enrol('wang-locked', 'district-230103', ['district_bureau']);
    const b = new TestBrowser();
    const wrong = 'not-the-password-at-all';
    for (let i = 0; i < 3; i++) {
      const res = await signIn(b, 'dispatch', 'wang-locked', wrong);
      const problem = expectProblem(res, 401, 'invalid_credentials');
      expect(problem.detail).toContain('人员编号或密码错误');
      expect(problem.errors!.map((e) => e.field)).toEqual(['body.personId', 'body.password']);
      expect(b.jar.get('yq_session')).toBeUndefined();
    }
    // Locked: even the right password is refused until the lock ends.
    const locked = await signIn(b, 'dispatch', 'wang-locked');
    expectProblem(locked, 429, 'account_locked');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(b.jar.get('yq_session')).toBeUndefined();
    expect(await p.t.db.selectFrom('sessions').select('id').where('personId', '=', 'wang-locked').execute()).toEqual([]);

    const failures = await audit('account.sign_in_failed', 'wang-locked');
    expect(failures.map((f) => (f.after as { reason: string }).reason)).toEqual(['wrong_password', 'wrong_password', 'wrong_password', 'locked']);
    expect(failures.every((f) => f.actorId === 'system:sign-in' && (f.after as { address: string }).address === '127.0.0.1')).toBe(true);
    expect(await audit('account.locked', 'wang-locked')).toHaveLength(1);
    const everything = JSON.stringify(await p.t.db.selectFrom('auditLog').select(['after', 'before']).execute());
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(PASSWORD);

    // Once the lock is over, the right password works and the count starts again.
    await p.t.db
      .updateTable('accounts')
      .set({ lockedUntil: sql`now() - interval '1 second'` })
      .where('personId', '=', 'wang-locked')
      .execute();
    expect((await signIn(b, 'dispatch', 'wang-locked')).status).toBe(200);

    // Someone unknown is answered the same as a wrong password, and recorded.
    expectProblem(await signIn(new TestBrowser(), 'dispatch', 'nobody-at-all', wrong), 401, 'invalid_credentials');
    expect((await audit('account.sign_in_failed', 'nobody-at-all')).map((f) => (f.after as { reason: string }).reason)).toEqual(['unknown_account']);
  });

  it('bad input is refused naming the field in Chinese, and nothing is stored', async () => {
    const res = await new TestBrowser().request(`${urls.dispatch}/v1/session`, { method: 'POST', body: { personId: 'li-nangang' } });
    const problem = expectProblem(res, 422, 'validation_failed');
    expect(problem.detail).toMatch(/请求内容不符合要求.*body\.password/);
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'body.password', message: '请填写密码' })]);
  });
});

describe('CSRF: an unsafe request made with the session cookie carries the session’s token', () => {
  it('acknowledging without the X-CSRF-Token header, or with another session’s, is refused and changes nothing; with it, it is done', async () => {
    const id = await p.report(k.monitoring);
    const { b, csrf } = await signedIn('li-nangang');
    const other = await signedIn('li-nangang');
    const url = `${urls.dispatch}/v1/incidents/${id}/actions/acknowledge`;

    const bare = expectProblem(await b.request(url, { method: 'POST', body: {} }), 403, 'csrf_token_invalid');
    expect(bare.errors).toEqual([expect.objectContaining({ field: 'headers.x-csrf-token' })]);
    expect(bare.detail).toContain('X-CSRF-Token');
    expectProblem(await b.request(url, { method: 'POST', body: {}, headers: { 'x-csrf-token': other.csrf } }), 403, 'csrf_token_invalid');
    expectProblem(await b.request(`${urls.dispatch}/v1/session`, { method: 'DELETE' }), 403, 'csrf_token_invalid');
    const state = async () =>
      (await p.call('dispatch', k.admin, 'GET', `/v1/incidents/${id}/state`)).json<{
        tasks: { key: string; status: string; doneBy?: { personId?: string } }[];
      }>();
    expect((await state()).tasks.find((t) => t.key === 'acknowledge:district-230103')?.status).toBe('open');
    expect((await b.request(`${urls.dispatch}/v1/session`)).status).toBe(200);

    const done = await b.request(url, { method: 'POST', body: {}, headers: { 'x-csrf-token': csrf } });
    expect(done.status).toBe(200);
    expect((await state()).tasks.find((t) => t.key === 'acknowledge:district-230103')).toMatchObject({ status: 'done', doneBy: { personId: 'li-nangang' } });
  });

  it('a key needs no CSRF token, whatever cookie comes along', async () => {
    const { b } = await signedIn('li-nangang');
    const res = await p.call(
      'dispatch',
      k.nangangEditor,
      'POST',
      '/v1/channels',
      { unitId: 'district-230103', kind: 'email', address: 'csrf-free@district.example.org' },
      {
        cookie: b.jar.header(urls.dispatch),
      },
    );
    expect(res.statusCode).toBe(201);
  });

  it('the console’s origin may call with credentials (CORS); another origin may not', async () => {
    const preflight = (origin: string) =>
      fetch(`${urls.dispatch}/v1/tasks`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-csrf-token' },
      });
    const ok = await preflight(urls.reporting);
    expect(ok.headers.get('access-control-allow-origin')).toBe(urls.reporting);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-csrf-token');
    expect((await preflight('https://elsewhere.example.org')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('activation links', () => {
  const activate = (token: string, password = PASSWORD) =>
    new TestBrowser().request(`${urls.dispatch}/v1/accounts/activate`, { method: 'POST', body: { token, password } });
  const issue = async (personId: string) => {
    const res = await p.call('dispatch', k.admin, 'POST', `/v1/accounts/${personId}/activation`, {});
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string; token: string; link: string; expiresAt: string }>();
  };

  beforeAll(async () => {
    await p.call('dispatch', k.admin, 'POST', '/v1/persons', { id: 'zhou-new', unitId: 'district-230103', name: '周新', roles: ['district_bureau'] });
  });

  it('works once: the person sets a password and signs in; the same link again is refused; only its hash is kept', async () => {
    const issued = await issue('zhou-new');
    expect(issued.link).toBe(`${urls.reporting}/console/activate#token=${issued.token}`);
    const row = await p.t.db.selectFrom('accountActivations').select(['tokenHash', 'personId']).where('id', '=', issued.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ tokenHash: sha256(issued.token), personId: 'zhou-new' });
    expect(JSON.stringify(await p.t.db.selectFrom('auditLog').select('after').execute())).not.toContain(issued.token);
    expect((await audit('account.activation_issued', 'zhou-new')).at(-1)).toMatchObject({ actorId: 'city-admin', actorKind: 'client' });

    // A password too short changes nothing: the link still works afterwards.
    const short = expectProblem(await activate(issued.token, 'short'), 422, 'validation_failed');
    expect(short.errors).toEqual([expect.objectContaining({ field: 'body.password', message: '密码至少 10 个字符' })]);
    expectProblem(await signIn(new TestBrowser(), 'dispatch', 'zhou-new'), 401, 'invalid_credentials');

    expect((await activate(issued.token)).json()).toEqual({ personId: 'zhou-new' });
    expect((await audit('account.activated', 'zhou-new')).at(-1)).toMatchObject({ actorId: issued.id, actorKind: 'person', unitId: 'district-230103' });
    expect((await signIn(new TestBrowser(), 'dispatch', 'zhou-new')).status).toBe(200);
    const hash = (await p.t.db.selectFrom('accounts').select('passwordHash').where('personId', '=', 'zhou-new').executeTakeFirstOrThrow()).passwordHash!;
    expect(hash).toMatch(/^scrypt\$32768\$8\$3\$/);
    expect(hash).not.toContain(PASSWORD);

    const again = expectProblem(await activate(issued.token, 'another-password-2026'), 410, 'activation_used');
    expect(again.errors).toEqual([expect.objectContaining({ field: 'body.token' })]);
    expectProblem(await signIn(new TestBrowser(), 'dispatch', 'zhou-new', 'another-password-2026'), 401, 'invalid_credentials');
  });

  it('an expired link, one replaced by a newer one, and an unknown one are refused', async () => {
    const expired = await issue('zhou-new');
    await p.t.db
      .updateTable('accountActivations')
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where('id', '=', expired.id)
      .execute();
    expectProblem(await activate(expired.token, 'expired-link-password'), 410, 'activation_expired');

    const older = await issue('zhou-new');
    const newer = await issue('zhou-new');
    expectProblem(await activate(older.token, 'older-link-password'), 410, 'activation_expired');
    expectProblem(await activate('x'.repeat(43), 'unknown-link-password'), 404, 'activation_not_found');
    expectProblem(await signIn(new TestBrowser(), 'dispatch', 'zhou-new', 'older-link-password'), 401, 'invalid_credentials');

    // The newest one works, and signs the person out wherever they were.
    const { b } = await signedIn('zhou-new');
    expect((await activate(newer.token, 'newest-link-password')).status).toBe(200);
    expectProblem(await b.request(`${urls.dispatch}/v1/session`), 401, 'unauthorized');
    expect((await signIn(new TestBrowser(), 'dispatch', 'zhou-new', 'newest-link-password')).status).toBe(200);
  });

  it('the operators’ command line issues a link too: the way to the first administrator who signs in', async () => {
    await p.call('dispatch', k.admin, 'POST', '/v1/persons', { id: 'first-admin', unitId: 'opinion-office', name: '系统管理员', roles: [] });
    const out = execFileSync(process.execPath, [path.join(REPO_ROOT, 'shared/dist/bin/admin.js'), 'issue-activation', 'first-admin', 'admin'], {
      env: { ...process.env, DATABASE_URL: p.t.url, REPORTING_PUBLIC_URL: urls.reporting, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    }).trim();
    expect(out).toMatch(new RegExp(`^${urls.reporting}/console/activate#token=[\\w-]{43}$`));
    expect((await activate(out.slice(out.indexOf('#token=') + 7))).status).toBe(200);
    const { b } = await signedIn('first-admin');
    expect((await b.request(`${urls.dispatch}/v1/session`)).json()).toMatchObject({ scopes: ['admin'] });
    expect((await b.request(`${urls.reporting}/v1/stats`)).status).toBe(200);
    expect((await audit('account.activation_issued', 'first-admin')).at(-1)).toMatchObject({ actorId: 'system:admin-cli', actorKind: 'system' });
  });
});

describe('a session acts under the one access policy, as the person’s key does', () => {
  it('a district person’s session is refused exactly where their key is, and allowed where it is', async () => {
    const daoliIncident = await p.report(k.monitoring, { district: '道里区', title: '网传道里区某超市销售过期食品' });
    const nangangIncident = await p.report(k.monitoring);
    const key = (await p.call('dispatch', k.admin, 'POST', '/v1/persons/li-nangang/keys', { scopes: ['tasks:act', 'reports:read'] })).json<{ key: string }>()
      .key;
    const { b, csrf } = await signedIn('li-nangang');
    const attempts: [AppName, 'GET' | 'POST' | 'PUT', string, unknown, number][] = [
      ['dispatch', 'GET', '/v1/tasks?unit=district-230102', undefined, 403],
      ['dispatch', 'GET', '/v1/units/district-230102/overdue', undefined, 403],
      ['reporting', 'GET', '/v1/stats', undefined, 403],
      ['reporting', 'GET', `/v1/incidents/${daoliIncident}/timeline`, undefined, 404],
      ['dispatch', 'POST', `/v1/incidents/${daoliIncident}/actions/acknowledge`, {}, 404],
      ['dispatch', 'POST', `/v1/incidents/${nangangIncident}/actions/acknowledge`, { unitId: 'district-230102' }, 403],
      ['dispatch', 'POST', '/v1/persons', { id: 'fake-leader', unitId: 'opinion-office', name: '冒名领导', roles: ['leader'] }, 403],
      ['dispatch', 'PUT', '/v1/routing/topic/food_safety', { unitId: 'district-230103' }, 403],
      ['dispatch', 'POST', '/v1/accounts/duty-district-230102/activation', {}, 403],
      ['dispatch', 'GET', '/v1/tasks', undefined, 200],
      ['reporting', 'GET', `/v1/incidents/${nangangIncident}/timeline`, undefined, 200],
    ];
    for (const [service, method, url, body, expected] of attempts) {
      const byKey = await p.call(service, key, method, url, body);
      const bySession = await b.request(`${urls[service]}${url}`, { method, ...(body !== undefined ? { body } : {}), headers: { 'x-csrf-token': csrf } });
      const what = `${method} ${url}`;
      expect([what, byKey.statusCode]).toEqual([what, expected]);
      expect([what, bySession.status]).toEqual([what, expected]);
      if (expected >= 400) expect([what, bySession.json().code]).toEqual([what, byKey.json().code]);
    }
    expect(await p.t.db.selectFrom('persons').select('id').where('id', '=', 'fake-leader').executeTakeFirst()).toBeUndefined();
  });

  it('a unit’s directory editor issues activation links for its own unit only, with no scope or role beyond its own', async () => {
    await p.call('dispatch', k.admin, 'POST', '/v1/persons', { id: 'sun-nangang', unitId: 'district-230103', name: '孙', roles: ['district_bureau'] });
    await p.call('dispatch', k.admin, 'POST', '/v1/persons', { id: 'qian-director', unitId: 'opinion-office', name: '钱主任', roles: ['office_director'] });
    const issue = (key: string, personId: string, body: unknown = {}) => p.call('dispatch', key, 'POST', `/v1/accounts/${personId}/activation`, body);

    const other = await issue(k.nangangEditor, 'duty-district-230102');
    expect(other.statusCode).toBe(403);
    expect(other.json().detail).toContain('只能为本单位人员开通账号');
    expect((await issue(k.nangangEditor, 'sun-nangang', { scopes: ['admin'] })).statusCode).toBe(403);
    // The office's editor may not hand out the director's identity: that role is not theirs to grant.
    expect((await issue(k.officeEditor, 'qian-director')).statusCode).toBe(403);
    for (const id of ['duty-district-230102', 'sun-nangang', 'qian-director']) {
      expect(await p.t.db.selectFrom('accountActivations').select('id').where('personId', '=', id).executeTakeFirst()).toBeUndefined();
      expect(await p.t.db.selectFrom('accounts').select('personId').where('personId', '=', id).executeTakeFirst()).toBeUndefined();
    }

    const own = await issue(k.nangangEditor, 'sun-nangang', { scopes: ['tasks:act', 'reports:read', 'directory:write'] });
    expect(own.statusCode).toBe(201);
    expect((await audit('account.activation_issued', 'sun-nangang')).at(-1)).toMatchObject({ unitId: 'district-230103', actorKind: 'person' });
    // Signed in, that editor is held to the same rules.
    expect(
      (await new TestBrowser().request(`${urls.dispatch}/v1/accounts/activate`, { method: 'POST', body: { token: own.json().token, password: PASSWORD } }))
        .status,
    ).toBe(200);
    const { b, csrf } = await signedIn('sun-nangang', 'dispatch');
    const bySession = (personId: string) =>
      b.request(`${urls.dispatch}/v1/accounts/${personId}/activation`, { method: 'POST', body: {}, headers: { 'x-csrf-token': csrf } });
    expectProblem(await bySession('duty-district-230102'), 403, 'forbidden');
    expect((await bySession('li-nangang')).status).toBe(201);
    expect((await p.call('dispatch', k.admin, 'POST', '/v1/accounts/qian-director/activation', {})).statusCode).toBe(201);
  });
});

describe('signing out, timeouts, changing one’s password', () => {
  let timeouts: App;
  let limits: App;
  let secure: App;

  beforeAll(async () => {
    await enrol('wu-sessions', 'district-230103', ['district_bureau']);
    timeouts = await startDispatchApp(p.t.db, loadConfig({ SESSION_IDLE_TIMEOUT_MS: '2000', SESSION_ABSOLUTE_TIMEOUT_MS: '5000' }));
    limits = await startDispatchApp(p.t.db, loadConfig({ SIGN_IN_MAX_FAILURES_PER_ADDRESS: '3', SIGN_IN_MAX_FAILURES: '100' }));
    secure = await startDispatchApp(p.t.db, loadConfig({ SESSION_COOKIE_SECURE: 'true' }));
  });
  afterAll(async () => {
    await timeouts?.close();
    await limits?.close();
    await secure?.close();
  });

  const injectSignIn = (app: App, personId: string, password = PASSWORD, remoteAddress = '127.0.0.1') =>
    app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ personId, password }),
      remoteAddress,
    });
  const cookieOf = (res: { cookies: { name: string; value: string }[] }) => `yq_session=${res.cookies.find((c) => c.name === 'yq_session')!.value}`;

  it('signing out ends this session only; signing out everywhere ends every other one too', async () => {
    const a = await signedIn('wu-sessions', 'reporting');
    const b = await signedIn('wu-sessions', 'dispatch');
    const c = await signedIn('wu-sessions', 'intake');
    const mine = await b.b.request(`${urls.dispatch}/v1/sessions`);
    expect(
      mine
        .json<{ items: { id: string; current: boolean }[] }>()
        .items.filter((s) => s.current)
        .map((s) => s.id),
    ).toEqual([b.sessionId]);

    expect((await a.b.request(`${urls.reporting}/v1/session`, { method: 'DELETE', headers: { 'x-csrf-token': a.csrf } })).status).toBe(204);
    expect(a.b.jar.get('yq_session')).toBeUndefined();
    expect((await a.b.request(`${urls.dispatch}/v1/tasks`)).status).toBe(401);
    expect((await b.b.request(`${urls.dispatch}/v1/tasks`)).status).toBe(200);
    expect((await c.b.request(`${urls.dispatch}/v1/tasks`)).status).toBe(200);

    const everywhere = await b.b.request(`${urls.dispatch}/v1/sessions`, { method: 'DELETE', headers: { 'x-csrf-token': b.csrf } });
    expect(everywhere.json()).toEqual({ revoked: 2 });
    for (const s of [b, c])
      for (const service of ['intake', 'dispatch', 'reporting'] as const) expectProblem(await s.b.request(`${urls[service]}/v1/session`), 401, 'unauthorized');
    expect((await audit('account.signed_out', 'wu-sessions')).at(-1)).toMatchObject({ actorId: a.sessionId });
    expect((await audit('account.signed_out_everywhere', 'wu-sessions')).at(-1)).toMatchObject({ actorId: b.sessionId, after: { sessionsEnded: 2 } });

    // An administrator can do it for a person too (a lost phone).
    const d = await signedIn('wu-sessions');
    const byAdmin = await p.call('dispatch', k.admin, 'DELETE', '/v1/accounts/wu-sessions/sessions');
    expect(byAdmin.json()).toEqual({ revoked: 1 });
    expect((await d.b.request(`${urls.reporting}/v1/session`)).status).toBe(401);
    expect((await p.call('dispatch', k.nangangEditor, 'DELETE', '/v1/accounts/duty-opinion-office/sessions')).statusCode).toBe(403);
  });

  it('a session idle longer than the idle timeout ends, and one in use ends at the absolute timeout', async () => {
    const opened = await injectSignIn(timeouts, 'wu-sessions');
    expect(opened.statusCode).toBe(200);
    const cookie = cookieOf(opened);
    const me = () => timeouts.inject({ method: 'GET', url: '/v1/session', headers: { cookie } });
    // Seconds of margin each way: a loaded machine answers a request in hundreds of milliseconds.
    await sleep(1_200);
    expect((await me()).statusCode).toBe(200);
    await sleep(1_200);
    expect((await me()).statusCode).toBe(200);
    await sleep(2_600);
    const idle = await me();
    expect(idle.statusCode).toBe(401);
    expect(idle.cookies.find((c) => c.name === 'yq_session')).toMatchObject({ value: '' });

    // The session is made inside the sign-in: measured from before it, its absolute end is no earlier than start + 5 s.
    const start = Date.now();
    const busy = cookieOf(await injectSignIn(timeouts, 'wu-sessions'));
    let lastOk = 0;
    for (;;) {
      const res = await timeouts.inject({ method: 'GET', url: '/v1/session', headers: { cookie: busy } });
      if (res.statusCode !== 200) {
        expect(res.statusCode).toBe(401);
        break;
      }
      lastOk = Date.now() - start;
      if (Date.now() - start > 9_000) throw new Error('the session outlived its absolute timeout');
      await sleep(300);
    }
    expect(lastOk).toBeGreaterThan(3_500);
    expect(Date.now() - start).toBeGreaterThanOrEqual(5_000);
  });

  it('failed sign-ins are limited per address, whichever accounts they name', async () => {
    for (let i = 0; i < 3; i++) expect((await injectSignIn(limits, `guess-${i}`, 'guessed-password', '192.0.2.7')).statusCode).toBe(401);
    const blocked = await injectSignIn(limits, 'wu-sessions', PASSWORD, '192.0.2.7');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('too_many_failed_sign_ins');
    expect(blocked.cookies.find((c) => c.name === 'yq_session')).toBeUndefined();
    expect((await injectSignIn(limits, 'wu-sessions', PASSWORD, '192.0.2.8')).statusCode).toBe(200);
    const recorded = await p.t.db
      .selectFrom('auditLog')
      .select('after')
      .where('action', '=', 'account.sign_in_failed')
      .where(sql<string>`after ->> 'address'`, '=', '192.0.2.7')
      .execute();
    expect(recorded.map((r) => (r.after as { reason: string }).reason)).toEqual(['unknown_account', 'unknown_account', 'unknown_account', 'address_limited']);
  });

  it('the cookie is Secure when configured for https', async () => {
    const res = await injectSignIn(secure, 'wu-sessions');
    expect(res.cookies.find((c) => c.name === 'yq_session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
  });

  it('changing one’s password needs the current one; the other sessions end, this one stays', async () => {
    await enrol('zheng-password', 'district-230103', ['district_bureau']);
    const here = await signedIn('zheng-password', 'dispatch');
    const elsewhere = await signedIn('zheng-password', 'reporting');
    const change = (currentPassword: string, newPassword: string) =>
      here.b.request(`${urls.dispatch}/v1/session/password`, { method: 'PUT', body: { currentPassword, newPassword }, headers: { 'x-csrf-token': here.csrf } });

    const wrong = expectProblem(await change('not-my-password', 'brand-new-password-1'), 422, 'validation_failed');
    expect(wrong.errors).toEqual([expect.objectContaining({ field: 'body.currentPassword', message: '当前密码不正确' })]);
    expect((await audit('account.sign_in_failed', 'zheng-password')).map((f) => (f.after as { reason: string }).reason)).toEqual(['wrong_current_password']);
    expectProblem(await change(PASSWORD, 'short'), 422, 'validation_failed');
    expect((await elsewhere.b.request(`${urls.reporting}/v1/session`)).status).toBe(200);

    expect((await change(PASSWORD, 'brand-new-password-1')).status).toBe(204);
    expect((await here.b.request(`${urls.dispatch}/v1/session`)).status).toBe(200);
    expect((await elsewhere.b.request(`${urls.reporting}/v1/session`)).status).toBe(401);
    expectProblem(await signIn(new TestBrowser(), 'dispatch', 'zheng-password'), 401, 'invalid_credentials');
    expect((await signIn(new TestBrowser(), 'dispatch', 'zheng-password', 'brand-new-password-1')).status).toBe(200);
    expect((await audit('account.password_changed', 'zheng-password')).at(-1)).toMatchObject({ actorId: here.sessionId, after: { otherSessionsEnded: 1 } });
  });
});

describe('single sign-on (OpenID Connect) with a real provider', () => {
  const callback = () => `${urls.reporting}/v1/session/oidc/callback`;

  /** Goes through the provider's login and consent pages as `login`; answers the browser at the callback's answer. */
  async function signOn(b: TestBrowser, login: string): Promise<BrowserAnswer> {
    const start = await b.request(`${urls.reporting}/v1/session/oidc?returnTo=/console/`);
    expect(start.status).toBe(302);
    expect(start.headers.get('location')!.startsWith(`${oidc.issuer}/`)).toBe(true);
    expect(b.jar.get('yq_oidc')).toMatchObject({ httpOnly: true, path: '/v1/session/oidc' });
    const atCallback = (u: URL) => u.href.startsWith(callback());
    let hop = await b.follow(start.headers.get('location')!, atCallback);
    for (let page = 0; page < 3 && !atCallback(new URL(hop.url)); page++) {
      const submitted = await b.submitForm(hop.url, hop.answer.text, page === 0 ? { login, password: 'any' } : {});
      hop = await b.follow(new URL(submitted.headers.get('location')!, hop.url).href, atCallback);
    }
    expect(hop.url.startsWith(callback())).toBe(true);
    return b.request(hop.url);
  }

  beforeAll(async () => {
    await p.call('dispatch', k.admin, 'POST', '/v1/persons', { id: 'zhao-sso', unitId: 'district-230103', name: '赵', roles: ['district_bureau'] });
    await p.call('dispatch', k.admin, 'POST', '/v1/persons', { id: 'no-account', unitId: 'district-230103', name: '无账号', roles: ['district_bureau'] });
    // An account without a password: single sign-on only.
    expect((await p.call('dispatch', k.admin, 'PUT', '/v1/accounts/zhao-sso', { scopes: ['tasks:act', 'reports:read'] })).statusCode).toBe(201);
  });

  it('the provider’s identity maps to the person, who lands on the console signed in; every service accepts the session', async () => {
    const b = new TestBrowser();
    const landed = await signOn(b, 'zhao-sso');
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/console/');
    expect(b.jar.get('yq_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(b.jar.get('yq_oidc')).toBeUndefined();
    const me = await b.request(`${urls.dispatch}/v1/session`);
    expect(me.json()).toMatchObject({ personId: 'zhao-sso', unitId: 'district-230103', method: 'oidc', scopes: ['tasks:act', 'reports:read'] });
    expect((await b.request(`${urls.dispatch}/v1/tasks?unit=district-230102`)).status).toBe(403);
    expect((await audit('account.signed_in', 'zhao-sso')).at(-1)).toMatchObject({ after: { method: 'oidc', subject: 'zhao-sso' } });
    // No password sign-in for an account that has none.
    expectProblem(await signIn(new TestBrowser(), 'dispatch', 'zhao-sso', 'whatever-password'), 401, 'invalid_credentials');
  });

  it('an identity that names no person, or a person without an account, is refused and recorded', async () => {
    const nobody = new TestBrowser();
    const refused = expectProblem(await signOn(nobody, 'somebody-unknown'), 403, 'unknown_person');
    expect(refused.detail).toContain('未对应到本系统已开通账号的人员');
    expect(nobody.jar.get('yq_session')).toBeUndefined();
    expect((await audit('account.sign_in_failed', 'oidc:somebody-unknown')).map((f) => (f.after as { reason: string }).reason)).toEqual(['unknown_subject']);

    expectProblem(await signOn(new TestBrowser(), 'no-account'), 403, 'unknown_person');
    expect((await audit('account.sign_in_failed', 'no-account')).map((f) => (f.after as { reason: string }).reason)).toEqual(['no_account']);
  });

  it('a callback not started by this browser, or replayed, is refused', async () => {
    const b = new TestBrowser();
    const start = await b.request(`${urls.reporting}/v1/session/oidc`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    // Another browser arriving with this state (login CSRF) has no state cookie.
    const other = new TestBrowser();
    expectProblem(await other.request(`${callback()}?code=made-up&state=${state}`), 400, 'sign_on_refused');
    expect(other.jar.get('yq_session')).toBeUndefined();
  });

  it('the sign-in routes are in each service’s OpenAPI, with the session cookie as a security scheme', async () => {
    for (const service of ['intake', 'dispatch', 'reporting'] as const) {
      const spec = (await new TestBrowser().request(`${urls[service]}/docs/json`)).json<{
        paths: Record<string, unknown>;
        components: { securitySchemes: Record<string, { in?: string; name?: string }> };
      }>();
      for (const path of [
        '/v1/session',
        '/v1/sessions',
        '/v1/session/password',
        '/v1/accounts/activate',
        '/v1/accounts/{personId}/activation',
        '/v1/session/oidc',
      ])
        expect([service, path, path in spec.paths]).toEqual([service, path, true]);
      expect(spec.components.securitySchemes.session).toMatchObject({ in: 'cookie', name: 'yq_session' });
    }
  });
});
