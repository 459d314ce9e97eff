/**
 * TRUST_PROXY over real HTTP, against the services' own processes (their built entry
 * points, as the cluster profile runs them behind HAProxy). With HAProxy's address
 * listed — 127.0.0.1 here, where the test's requests come from, as in the profile —
 * the per-address limits (failed keys on every service, failed sign-ins) count each
 * client by the address HAProxy appends to X-Forwarded-For, and the audit log records
 * the client. Without it, X-Forwarded-For changes nothing: a client cannot dodge the
 * limits by sending the header itself.
 */
import { sql } from 'kysely';
import {
  createTestDatabase,
  freePort,
  startService,
  stackEnv,
  testNatsOptions,
  testTaskQueue,
  waitReady,
  type ServiceName,
  type ServiceProcess,
  type TestDatabase,
} from '@yuqing/testkit';

jest.setTimeout(120_000);

type Service = Exclude<ServiceName, 'worker'>;
const SERVICES: readonly Service[] = ['intake', 'dispatch', 'reporting'];
/** A read each service guards with a key. */
const READ: Record<Service, string> = { intake: '/v1/incidents?tier=general', dispatch: '/v1/tasks', reporting: '/v1/incidents?tier=general' };
/** Small enough to reach in a test, as an operator could set them. */
const LIMITS = { AUTH_FAILURES_PER_MINUTE: '3', SIGN_IN_MAX_FAILURES_PER_ADDRESS: '2', SIGN_IN_MAX_FAILURES: '100' };

let t: TestDatabase;
/** The direct process's own database: its failed sign-ins count apart from those behind the proxy. */
let t2: TestDatabase;
const procs: ServiceProcess[] = [];
/** The three services trusting 127.0.0.1 as their proxy. */
const behind = {} as Record<Service, string>;
/** reporting trusting no proxy (TRUST_PROXY unset, the default). */
let direct: string;

async function start(name: Service, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startService(name, { ...env, [`${name.toUpperCase()}_PORT`]: String(port) });
  procs.push(proc);
  // Four processes start at once on a machine that may be busy with other suites.
  await waitReady(url, proc, 90_000);
  return url;
}

beforeAll(async () => {
  t = await createTestDatabase();
  t2 = await createTestDatabase();
  const nats = testNatsOptions('trust-proxy');
  const env = {
    ...LIMITS,
    DATABASE_URL: t.url,
    NATS_URL: stackEnv().natsUrl,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    TEMPORAL_ADDRESS: stackEnv().temporalAddress,
    TEMPORAL_TASK_QUEUE: testTaskQueue(),
  };
  const urls = await Promise.all([
    ...SERVICES.map((s) => start(s, { ...env, TRUST_PROXY: '127.0.0.1' })),
    start('reporting', { ...env, DATABASE_URL: t2.url }),
  ]);
  SERVICES.forEach((s, i) => (behind[s] = urls[i]!));
  direct = urls[3]!;
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await t?.drop();
  await t2?.drop();
});

/** A request with a key nobody has, as a client behind `forwardedFor` (a header as HAProxy passes it on). */
async function badKey(base: string, url: string, forwardedFor?: string): Promise<{ status: number; code: unknown }> {
  const res = await fetch(`${base}${url}`, {
    headers: { authorization: 'Bearer yq_not_a_key_of_anybody_0000000000', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
  });
  const body = (await res.json()) as { code?: unknown };
  return { status: res.status, code: body.code };
}

async function signIn(base: string, personId: string, forwardedFor?: string): Promise<{ status: number; code: unknown }> {
  const res = await fetch(`${base}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: JSON.stringify({ personId, password: 'not-the-password-1234' }),
  });
  const body = (await res.json()) as { code?: unknown };
  return { status: res.status, code: body.code };
}

/** The addresses the audit log recorded for the failed sign-ins of `personId`, in order. */
async function auditedAddresses(personId: string, db = t.db): Promise<string[]> {
  const rows = await db
    .selectFrom('auditLog')
    .select(sql<string>`after ->> 'address'`.as('address'))
    .where('action', '=', 'account.sign_in_failed')
    .where('entityId', '=', personId)
    .orderBy('at')
    .execute();
  return rows.map((r) => r.address);
}

const TOO_MANY_KEYS = { status: 429, code: 'too_many_failed_authentications' };
const UNAUTHORIZED = { status: 401, code: 'unauthorized' };

describe('behind HAProxy (TRUST_PROXY=127.0.0.1)', () => {
  it('two clients each get their own budget of failed keys, on every service; a forged entry before HAProxy’s does not help', async () => {
    for (const s of SERVICES) {
      const [a, b] = ['203.0.113.10', '203.0.113.20'];
      for (let i = 0; i < 3; i++) expect(await badKey(behind[s], READ[s], a)).toEqual(UNAUTHORIZED);
      expect(await badKey(behind[s], READ[s], a)).toEqual(TOO_MANY_KEYS);
      // Another client behind the same proxy still has its whole budget.
      for (let i = 0; i < 3; i++) expect(await badKey(behind[s], READ[s], b)).toEqual(UNAUTHORIZED);
      expect(await badKey(behind[s], READ[s], b)).toEqual(TOO_MANY_KEYS);
      // HAProxy appends the address it saw: what the client wrote before it is not believed.
      expect(await badKey(behind[s], READ[s], `198.51.100.99, ${a}`)).toEqual(TOO_MANY_KEYS);
      // The proxy itself (a request without the header, e.g. a health check) is a client of its own.
      expect(await badKey(behind[s], READ[s])).toEqual(UNAUTHORIZED);
    }
  });

  it('failed sign-ins are limited per client, and the audit log records the client’s address', async () => {
    const [a, b] = ['203.0.113.30', '203.0.113.40'];
    expect(await signIn(behind.reporting, 'nobody-behind-a', a)).toMatchObject({ status: 401 });
    expect(await signIn(behind.reporting, 'nobody-behind-a', a)).toMatchObject({ status: 401 });
    expect(await signIn(behind.reporting, 'nobody-behind-a', a)).toEqual({ status: 429, code: 'too_many_failed_sign_ins' });
    expect(await signIn(behind.reporting, 'nobody-behind-b', b)).toMatchObject({ status: 401 });
    expect(await signIn(behind.reporting, 'nobody-behind-b', `198.51.100.99, ${b}`)).toMatchObject({ status: 401 });
    expect(await signIn(behind.reporting, 'nobody-behind-b', b)).toEqual({ status: 429, code: 'too_many_failed_sign_ins' });
    expect(await auditedAddresses('nobody-behind-a')).toEqual([a, a, a]);
    expect(await auditedAddresses('nobody-behind-b')).toEqual([b, b, b]);
  });
});

describe('without TRUST_PROXY (the default)', () => {
  it('a forged X-Forwarded-For changes nothing: every request counts against the connection’s address', async () => {
    for (let i = 0; i < 3; i++) expect(await badKey(direct, READ.reporting, `203.0.113.${100 + i}`)).toEqual(UNAUTHORIZED);
    expect(await badKey(direct, READ.reporting, '203.0.113.199')).toEqual(TOO_MANY_KEYS);
    expect(await badKey(direct, READ.reporting, '203.0.113.199, 127.0.0.1')).toEqual(TOO_MANY_KEYS);
    expect(await badKey(direct, READ.reporting)).toEqual(TOO_MANY_KEYS);

    expect(await signIn(direct, 'nobody-direct', '203.0.113.150')).toMatchObject({ status: 401 });
    expect(await signIn(direct, 'nobody-direct', '203.0.113.151')).toMatchObject({ status: 401 });
    expect(await signIn(direct, 'nobody-direct', '203.0.113.152')).toEqual({ status: 429, code: 'too_many_failed_sign_ins' });
    expect(await auditedAddresses('nobody-direct', t2.db)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });
});
