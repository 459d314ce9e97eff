/**
 * Channels that would point dispatch's webhooks and robots at our own network:
 * every forbidden address form of the corpus (loopback in every spelling, the
 * stack's own ports, private, CGNAT, link-local, metadata, multicast, IPv4-mapped
 * IPv6…) through POST /v1/channels and PATCH /v1/channels/<id>, then generated
 * ones (fast-check: random addresses of forbidden ranges in random notations).
 * Every answer must be 422 problem+json naming body.address, and no row may
 * change. Nothing is sent anywhere: only channels are saved, or refused.
 * Outcomes go to .data/reliability/outbound.json for RELIABILITY.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { type App } from '@yuqing/http-kit';
import { loadConfig } from '@yuqing/shared';
import { createTestDatabase, createTestKey, FORBIDDEN_DESTINATIONS, REPO_ROOT, type TestDatabase, startDispatchApp } from '@yuqing/testkit';

jest.setTimeout(120_000);

let t: TestDatabase;
let app: App;
let key: string;
const KINDS = ['webhook', 'wecom', 'dingtalk'] as const;
/** One channel of each kind, on a public name, for the PATCH attempts. */
const existing = {} as Record<(typeof KINDS)[number], string>;
const outcomes: Record<string, Record<string, number>> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  key = await createTestKey(t.db, { scopes: ['admin'] });
  // The defaults: no exceptions to the outbound rules.
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '100000', SECRETS_KEY: randomBytes(32).toString('base64') });
  app = await startDispatchApp(t.db, config);
  for (const kind of KINDS) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/channels',
      headers: { authorization: `Bearer ${key}` },
      payload: { unitId: 'district-230103', kind, address: `https://hooks.example.org/${kind}` },
    });
    expect(res.statusCode).toBe(201);
    existing[kind] = res.json().id;
  }
});

afterAll(async () => {
  const dir = path.join(REPO_ROOT, '.data', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'outbound.json'), JSON.stringify({ at: new Date().toISOString(), outcomes }, null, 2));
  await app.close();
  await t.drop();
});

/** The whole channels table and the audit log's length: what a refused request must leave as it was. */
async function snapshot() {
  const channels = await t.db.selectFrom('notificationChannels').selectAll().orderBy('id').execute();
  const audit = await t.db
    .selectFrom('auditLog')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return { channels, audit: Number(audit.n) };
}

/** Sends one attempt, counts its answer under `category`, and insists on 422 problem+json naming body.address. */
async function attempt(category: string, method: 'POST' | 'PATCH', kind: (typeof KINDS)[number], address: string): Promise<void> {
  const res = await app.inject({
    method,
    url: method === 'POST' ? '/v1/channels' : `/v1/channels/${existing[kind]}`,
    headers: { authorization: `Bearer ${key}` },
    payload: method === 'POST' ? { unitId: 'district-230103', kind, address } : { address },
  });
  outcomes[category] ??= {};
  outcomes[category][res.statusCode] = (outcomes[category][res.statusCode] ?? 0) + 1;
  const fields = res.statusCode === 422 ? (res.json().errors ?? []).map((e: { field: string }) => e.field) : [];
  if (res.statusCode !== 422 || !String(res.headers['content-type']).includes('application/problem+json') || fields.join() !== 'body.address') {
    throw new Error(`${category}: ${method} ${kind} ${address} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  }
}

describe('channels toward our own network are refused and change nothing', () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    before = await snapshot();
  });
  afterAll(async () => {
    expect(await snapshot()).toEqual(before);
  });

  it('refuses every address of the corpus, by POST and by PATCH, for every kind', async () => {
    for (const [category, urls] of Object.entries(FORBIDDEN_DESTINATIONS)) {
      for (const url of urls) {
        for (const kind of KINDS) {
          await attempt(category, 'POST', kind, url);
          await attempt(category, 'PATCH', kind, url);
        }
      }
    }
  });

  it('refuses random addresses of the forbidden ranges in random notations', async () => {
    /** [first octets, prefix length] of IPv4 ranges a channel may not reach. */
    const ranges: [number[], number][] = [
      [[127], 8],
      [[10], 8],
      [[172, 16], 12],
      [[192, 168], 16],
      [[100, 64], 10],
      [[169, 254], 16],
      [[0], 8],
      [[224], 4],
    ];
    const address = fc.tuple(fc.constantFrom(...ranges), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([[octets, prefix], random]) => {
      const base = octets.reduce((n, o, i) => n + o * 2 ** (24 - 8 * i), 0);
      const hostBits = 32 - prefix;
      return base + (random % 2 ** hostBits);
    });
    const octetsOf = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    const hex = (n: number, width = 0) => n.toString(16).padStart(width, '0');
    const notations: Record<string, (n: number) => string> = {
      'dotted decimal': (n) => octetsOf(n).join('.'),
      'one decimal number': (n) => String(n),
      'one hex number': (n) => `0x${hex(n)}`,
      'dotted octal': (n) =>
        octetsOf(n)
          .map((o) => `0${o.toString(8)}`)
          .join('.'),
      'dotted hex': (n) =>
        octetsOf(n)
          .map((o) => `0x${hex(o)}`)
          .join('.'),
      'three parts': (n) => `${n >>> 24}.${(n >>> 16) & 255}.${n & 0xffff}`,
      'IPv4-mapped IPv6, dotted': (n) => `[::ffff:${octetsOf(n).join('.')}]`,
      'IPv4-mapped IPv6, hex': (n) => `[::ffff:${hex(n >>> 16)}:${hex(n & 0xffff)}]`,
      'IPv4-mapped IPv6, written out': (n) => `[0:0:0:0:0:ffff:${hex(n >>> 16)}:${hex(n & 0xffff)}]`,
    };
    const destination = fc.record({
      n: address,
      notation: fc.constantFrom(...Object.keys(notations)),
      port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
      scheme: fc.constantFrom('http', 'https', 'HTTP'),
      path: fc.constantFrom('/', '/hooks/yuqing', '/cgi-bin/webhook/send?key=k', '/robot/send?access_token=t'),
      kind: fc.constantFrom(...KINDS),
      method: fc.constantFrom<'POST' | 'PATCH'>('POST', 'PATCH'),
    });
    await fc.assert(
      fc.asyncProperty(destination, async (d) => {
        const url = `${d.scheme}://${notations[d.notation]!(d.n)}${d.port ? `:${d.port}` : ''}${d.path}`;
        await attempt(`generated: ${d.notation}`, d.method, d.kind, url);
      }),
      { numRuns: 300 },
    );
  });
});
