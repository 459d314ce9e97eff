import { type App } from '@yuqing/http-kit';
import { snapshotPolicy } from '@yuqing/activities';
import { DEFAULT_POLICY, loadConfig, scalePolicy } from '@yuqing/shared';
import { createTestDatabase, createTestKey, type TestDatabase, startDispatchApp } from '@yuqing/testkit';

let t: TestDatabase;
let app: App;
let editor: string;
let reader: string;

beforeAll(async () => {
  t = await createTestDatabase();
  // The city policy is published by the city's administrators (a district publishes its own plan: test/e2e/access.test.ts).
  editor = await createTestKey(t.db, { scopes: ['admin'], id: 'policy-editor' });
  reader = await createTestKey(t.db, { scopes: ['reports:read'] });
  const config = loadConfig({});
  app = await startDispatchApp(t.db, config);
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

const put = (scope: string, body: unknown, key = editor) =>
  app.inject({ method: 'PUT', url: `/v1/policies/${scope}`, headers: { authorization: `Bearer ${key}` }, payload: body as object });

describe('policies as versioned data', () => {
  it('serves the seeded default policy as city version 1', async () => {
    const res = await app.inject({ url: '/v1/policies/city', headers: { authorization: `Bearer ${reader}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ scope: 'city', version: 1, createdBy: 'system:migration' });
    expect(res.json().document.tiers.critical.tasks.find((x: { kind: string }) => x.kind === 'authoritative_release').deadline).toBe('4h');
  });

  it('publishes a new version that new incidents snapshot, with an audit entry', async () => {
    // Snapshotted once before (the parsed document is kept by its content): the new version is not hidden by it.
    const before = await snapshotPolicy(t.db);
    expect(before.version).toBe('city@1');
    expect(before.document.tiers.critical.tasks.find((x) => x.kind === 'authoritative_release')!.deadline).toBe('4h');
    const doc = scalePolicy(DEFAULT_POLICY, 0.5, '测试策略(时限减半)');
    const res = await put('city', { baseVersion: 1, note: '演练期间时限减半', document: doc });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ version: 2, createdBy: 'policy-editor' });
    const snap = await snapshotPolicy(t.db);
    expect(snap.version).toBe('city@2');
    expect(snap.document.tiers.critical.tasks.find((x) => x.kind === 'authoritative_release')!.deadline).toBe('7200000ms');
    const audit = await t.db.selectFrom('auditLog').select(['actorId', 'action', 'entityId']).where('action', '=', 'policy.published').execute();
    expect(audit).toEqual([{ actorId: 'policy-editor', action: 'policy.published', entityId: 'city@2' }]);
    const v1 = await app.inject({ url: '/v1/policies/city?version=1', headers: { authorization: `Bearer ${reader}` } });
    expect(v1.json().version).toBe(1);
  });

  it('refuses a stale edit (409) and an invalid policy (422 naming the fields), changing nothing', async () => {
    const stale = await put('city', { baseVersion: 1, document: DEFAULT_POLICY });
    expect(stale.statusCode).toBe(409);
    const broken = structuredClone(DEFAULT_POLICY) as unknown as { tiers: { critical: { tasks: { deadline?: string; kind: string }[] } } };
    broken.tiers.critical.tasks[0]!.deadline = 'soon';
    broken.tiers.critical.tasks[1]!.kind = 'coffee';
    const invalid = await put('city', { baseVersion: 2, document: broken });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['body.document.tiers.critical.tasks.0.deadline', 'body.document.tiers.critical.tasks.1.kind']),
    );
    const versions = await app.inject({ url: '/v1/policies', headers: { authorization: `Bearer ${reader}` } });
    expect(
      versions
        .json()
        .items.filter((i: { scope: string }) => i.scope === 'city')
        .map((i: { version: number }) => i.version),
    ).toEqual([2, 1]);
  });

  it('takes a district’s local plan that adjusts existing tasks only', async () => {
    const unknownTask = await put('230103', { baseVersion: 0, document: { name: '南岗区预案', tiers: { general: { press_conference: { deadline: '1h' } } } } });
    expect(unknownTask.statusCode).toBe(422);
    expect(unknownTask.json().errors[0].field).toBe('body.document.tiers.general.press_conference');
    const ok = await put('230103', { baseVersion: 0, document: { name: '南岗区预案', tiers: { general: { acknowledge: { deadline: '1h' } } } } });
    expect(ok.statusCode).toBe(201);
    const snap = await snapshotPolicy(t.db, '230103');
    expect(snap.version).toBe('city@2+230103@1');
    expect(snap.document.tiers.general.tasks.find((x) => x.kind === 'acknowledge')!.deadline).toBe('1h');
    expect((await put('朝阳区', { baseVersion: 0, document: {} })).statusCode).toBe(400);
  });

  it('reads back a district plan keyed by task kinds with underscores (jsonb keys are not camel-cased)', async () => {
    const ok = await put('230102', { baseVersion: 0, document: { name: '道里区预案', tiers: { general: { investigation_report: { deadline: '24h' } } } } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().document.tiers.general).toEqual({ investigation_report: { deadline: '24h' } });
    const snap = await snapshotPolicy(t.db, '230102');
    expect(snap.document.tiers.general.tasks.find((x) => x.kind === 'investigation_report')!.deadline).toBe('24h');
  });

  it('refuses a policy or a district plan that loosens the plan (§4–§7), naming each field, and a stale edit before validating it', async () => {
    type Doc = { tiers: Record<string, { tasks: { kind: string; deadline?: string; mandatory?: boolean; requires?: string[]; approvals?: string[] }[] }> };
    const loose = structuredClone(DEFAULT_POLICY) as unknown as Doc;
    const at = (tier: string, kind: string) => loose.tiers[tier]!.tasks.findIndex((x) => x.kind === kind);
    loose.tiers.critical!.tasks[at('critical', 'authoritative_release')]!.deadline = '5h';
    loose.tiers.major!.tasks[at('major', 'review')]!.mandatory = false;
    loose.tiers.major!.tasks[at('major', 'public_response')]!.requires = ['talking_points_approval'];
    loose.tiers.critical!.tasks[at('critical', 'talking_points_approval')]!.approvals = ['leader_in_charge'];
    loose.tiers.critical!.tasks = loose.tiers.critical!.tasks.filter((x) => x.kind !== 'press_conference' && x.kind !== 'follow_up_release');
    // A stale edit is told so first, whatever else is wrong with it.
    expect((await put('city', { baseVersion: 1, document: loose })).statusCode).toBe(409);
    const res = await put('city', { baseVersion: 2, document: loose });
    expect(res.statusCode).toBe(422);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        `body.document.tiers.critical.tasks.${at('critical', 'authoritative_release')}.deadline`,
        `body.document.tiers.major.tasks.${at('major', 'review')}.mandatory`,
        `body.document.tiers.major.tasks.${at('major', 'public_response')}.requires`,
        `body.document.tiers.critical.tasks.${at('critical', 'talking_points_approval')}.approvals`,
        'body.document.tiers.critical.tasks',
      ]),
    );
    expect(res.json().errors.find((e: { field: string }) => e.field.endsWith('.deadline')).message).toContain('4h');

    // A district plan tightens, never loosens.
    const district = await put('230104', {
      baseVersion: 0,
      document: {
        name: '道外区预案',
        tiers: {
          critical: { acknowledge: { deadline: '1h' }, review: { mandatory: false } },
          major: { acknowledge: { chain: [{ after: '0s', action: 'remind', notify: ['owner'] }] } },
          sensitive: {
            digest: {
              chain: [
                { after: '0s', action: 'remind', notify: ['owner'] },
                { after: '3h', action: 'escalate', notify: ['office_director'] },
              ],
            },
          },
        },
      },
    });
    expect(district.statusCode).toBe(422);
    expect(district.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining([
        'body.document.tiers.critical.acknowledge.deadline',
        'body.document.tiers.critical.review.mandatory',
        'body.document.tiers.major.acknowledge.chain',
        'body.document.tiers.sensitive.digest.chain.1.after',
      ]),
    );
    expect(district.json().errors[0].message).toMatch(/区县预案/);
    // Nothing refused was published.
    expect((await snapshotPolicy(t.db)).version).toBe('city@2');
    expect(await t.db.selectFrom('policies').select('version').where('scope', '=', '230104').execute()).toEqual([]);
    const tighter = await put('230104', { baseVersion: 0, document: { name: '道外区预案', tiers: { critical: { acknowledge: { deadline: '5m' } } } } });
    expect(tighter.statusCode).toBe(201);
  });

  it('needs the policies:write scope to publish', async () => {
    expect((await put('city', { baseVersion: 2, document: DEFAULT_POLICY }, reader)).statusCode).toBe(403);
  });
});
