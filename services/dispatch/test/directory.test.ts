/** The directory as data: units, people, duty, personal keys, routing and channels over REST, each change audited. */
import { resolveRouting } from '@yuqing/activities';
import { type App } from '@yuqing/http-kit';
import { DISTRICT_CODES, loadConfig, TOPICS, type Role } from '@yuqing/shared';
import { createTestDatabase, createTestKey, type TestDatabase, startDispatchApp } from '@yuqing/testkit';

let t: TestDatabase;
let app: App;
const keys = {} as Record<'admin' | 'editor' | 'reader' | 'nangang' | 'daoli' | 'daoliEditor', string>;

beforeAll(async () => {
  t = await createTestDatabase();
  keys.admin = await createTestKey(t.db, { scopes: ['admin'], id: 'admin-key' });
  // The city's directory editor: only the city's administrators edit units and routing and appoint leaders.
  keys.editor = await createTestKey(t.db, { scopes: ['admin'], id: 'directory-editor' });
  keys.reader = await createTestKey(t.db, { scopes: ['reports:read'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.daoli = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230102', roles: ['district_bureau'] });
  keys.daoliEditor = await createTestKey(t.db, {
    scopes: ['tasks:act', 'reports:read', 'directory:write'],
    unitId: 'district-230102',
    roles: ['district_bureau'],
  });
  app = await startDispatchApp(t.db, loadConfig({}));
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, key?: string, payload?: unknown) =>
  app.inject({ method, url, headers: key ? { authorization: `Bearer ${key}` } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });

const auditOf = (entityId: string) =>
  t.db.selectFrom('auditLog').select(['actorId', 'actorKind', 'action', 'before', 'after']).where('entityId', '=', entityId).orderBy('id').execute();

const fields = (res: { json(): { errors?: { field: string }[] } }) => (res.json().errors ?? []).map((e) => e.field);

describe('units', () => {
  it('lists the seeded organisation: the 18 district bureaus, their placeholder stations, the office and outside bodies', async () => {
    const all = (await call('GET', '/v1/units', keys.reader)).json().items as { id: string; kind: string; kindLabel: string; parentId: string | null }[];
    expect(all.filter((u) => u.kind === 'district_bureau')).toHaveLength(18);
    expect(all.filter((u) => u.kind === 'station')).toHaveLength(36);
    expect(all.find((u) => u.id === 'opinion-office')).toMatchObject({ kind: 'office', kindLabel: '舆情办', parentId: 'leadership-group' });
    expect(all.some((u) => u.kind === 'outside')).toBe(true);
    const stations = (await call('GET', '/v1/units?kind=station&district=230103', keys.reader)).json().items;
    expect(stations.map((s: { id: string; name: string }) => [s.id, s.name])).toEqual([
      ['station-230103-1', '南岗区第一市场监督管理所(示例)'],
      ['station-230103-2', '南岗区第二市场监督管理所(示例)'],
    ]);
    expect((await call('GET', '/v1/units')).statusCode).toBe(401);
  });

  it('shows a unit with its stations, people and who is on duty; contacts only to its own unit, the office and editors', async () => {
    const own = (await call('GET', '/v1/units/district-230103', keys.nangang)).json();
    expect(own.children.map((c: { id: string }) => c.id)).toEqual(['station-230103-1', 'station-230103-2']);
    expect(own.onDuty).toEqual([{ personId: 'duty-district-230103', name: '南岗区市场监督管理局值班员(示例)', title: '24小时值班(示例)', via: 'standing' }]);
    const duty = own.persons.find((p: { id: string }) => p.id === 'duty-district-230103');
    expect(duty).toMatchObject({
      roles: ['district_bureau'],
      roleLabels: ['区、县(市)局'],
      onDuty: true,
      contacts: { email: 'duty.district-230103@example.org' },
    });
    const other = (await call('GET', '/v1/units/district-230103', keys.daoli)).json();
    expect(other.persons.every((p: { contacts?: unknown }) => p.contacts === undefined)).toBe(true);
    expect((await call('GET', '/v1/units/nowhere', keys.reader)).statusCode).toBe(404);
  });

  it('adds, moves and removes a station, auditing each change with its actor', async () => {
    const station = { id: 'station-230103-9', kind: 'station', name: '南岗区测试市场监督管理所', parentId: 'district-230103' };
    expect((await call('POST', '/v1/units', keys.reader, station)).statusCode).toBe(403);
    expect((await call('POST', '/v1/units', undefined, station)).statusCode).toBe(401);
    const created = await call('POST', '/v1/units', keys.editor, station);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ ...station, districtCode: '230103', kindLabel: '市场监督管理所' });
    expect((await call('POST', '/v1/units', keys.editor, station)).statusCode).toBe(409);

    const underDept = await call('POST', '/v1/units', keys.editor, { ...station, id: 'station-x', parentId: 'dept-pricing' });
    expect(underDept.statusCode).toBe(422);
    expect(fields(underDept)).toEqual(['body.parentId']);
    const orphan = await call('POST', '/v1/units', keys.editor, { id: 'station-y', kind: 'station', name: '无主所' });
    expect(fields(orphan)).toEqual(['body.parentId']);
    const bad = await call('POST', '/v1/units', keys.editor, { id: 'Bad Id', kind: 'shop', name: '' });
    expect(bad.statusCode).toBe(422);
    expect(fields(bad).sort()).toEqual(['body.id', 'body.kind', 'body.name']);
    const noDistrict = await call('POST', '/v1/units', keys.editor, { id: 'district-new', kind: 'district_bureau', name: '新区局' });
    expect(fields(noDistrict)).toEqual(['body.districtCode']);

    const moved = await call('PATCH', '/v1/units/station-230103-9', keys.editor, { name: '南岗区测试所(更名)', parentId: 'district-230102' });
    expect(moved.json()).toMatchObject({ name: '南岗区测试所(更名)', parentId: 'district-230102', districtCode: '230102' });
    const cycle = await call('PATCH', '/v1/units/leadership-group', keys.editor, { parentId: 'opinion-office' });
    expect(cycle.statusCode).toBe(422);

    const inUse = await call('DELETE', '/v1/units/district-230103', keys.editor);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().detail).toMatch(/childUnits|persons|routingRules/);
    expect((await call('DELETE', '/v1/units/station-230103-9', keys.editor)).statusCode).toBe(204);
    expect((await call('GET', '/v1/units/station-230103-9', keys.reader)).statusCode).toBe(404);

    const audit = await auditOf('station-230103-9');
    expect(audit.map((a) => [a.actorId, a.action])).toEqual([
      ['directory-editor', 'unit.created'],
      ['directory-editor', 'unit.updated'],
      ['directory-editor', 'unit.deleted'],
    ]);
    expect(audit[1]!.before).toMatchObject({ parentId: 'district-230103' });
    expect(audit[1]!.after).toMatchObject({ parentId: 'district-230102' });
  });
});

describe('people, duty and personal keys', () => {
  it('adds a person with roles and contacts; the audit log keeps which contacts, never what they are', async () => {
    const bad = await call('POST', '/v1/persons', keys.editor, {
      unitId: 'opinion-office',
      name: '张三',
      roles: ['boss'],
      contacts: { email: 'not-an-address', fax: '1' },
    });
    expect(bad.statusCode).toBe(422);
    expect(fields(bad)).toEqual(expect.arrayContaining(['body.roles.0', 'body.contacts.email', 'body.contacts']));
    const noUnit = await call('POST', '/v1/persons', keys.editor, { unitId: 'nowhere', name: '张三' });
    expect(fields(noUnit)).toEqual(['body.unitId']);

    const res = await call('POST', '/v1/persons', keys.editor, {
      id: 'zhang-director',
      unitId: 'opinion-office',
      name: '张主任(示例)',
      title: '办公室主任',
      roles: ['office_director', 'opinion_office'] satisfies Role[],
      contacts: { mobile: '000-0000-0001', email: 'zhang.director@example.org' },
    });
    expect(res.statusCode).toBe(201);
    // The README's tour adds its person the same way: a second run answers 409, it does not add another.
    const again = await call('POST', '/v1/persons', keys.editor, { id: 'zhang-director', unitId: 'opinion-office', name: '张主任(示例)' });
    expect([again.statusCode, again.headers['content-type']]).toEqual([409, expect.stringContaining('application/problem+json')]);
    expect(res.json()).toMatchObject({
      id: 'zhang-director',
      roleLabels: ['舆情办主任', '舆情办'],
      onDuty: false,
      contacts: { email: 'zhang.director@example.org' },
    });
    const listed = (await call('GET', '/v1/persons?role=office_director', keys.daoli)).json().items;
    expect(listed).toEqual([expect.objectContaining({ id: 'zhang-director', name: '张主任(示例)' })]);
    expect(listed[0].contacts).toBeUndefined();

    const patched = await call('PATCH', '/v1/persons/zhang-director', keys.editor, { onDuty: true, contacts: { mobile: '000-0000-0002' } });
    expect(patched.json()).toMatchObject({ onDuty: true, contacts: { mobile: '000-0000-0002' } });
    const audit = await auditOf('zhang-director');
    expect(audit.map((a) => a.action)).toEqual(['person.created', 'person.updated']);
    expect(audit[0]!.after).toMatchObject({ roles: ['office_director', 'opinion_office'], contactKinds: ['email', 'mobile'] });
    const text = JSON.stringify(audit);
    expect(text).not.toContain('zhang.director@example.org');
    expect(text).not.toContain('000-0000-000');
  });

  it('keeps a duty roster: a shift covering now beats standing duty', async () => {
    await call('POST', '/v1/persons', keys.editor, { id: 'li-nangang', unitId: 'district-230103', name: '李四(示例)', roles: ['district_bureau'] });
    const now = Date.now();
    const wrongUnit = await call('POST', '/v1/units/district-230102/duty-shifts', keys.editor, {
      personId: 'li-nangang',
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
    });
    expect(fields(wrongUnit)).toEqual(['body.personId']);
    const backwards = await call('POST', '/v1/units/district-230103/duty-shifts', keys.editor, {
      personId: 'li-nangang',
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now - 1).toISOString(),
    });
    expect(fields(backwards)).toEqual(['body.endsAt']);
    const noOffset = await call('POST', '/v1/units/district-230103/duty-shifts', keys.editor, {
      personId: 'li-nangang',
      startsAt: '2026-11-28 09:00',
      endsAt: '2026-11-28 17:00',
    });
    expect(fields(noOffset).sort()).toEqual(['body.endsAt', 'body.startsAt']);

    const shift = await call('POST', '/v1/units/district-230103/duty-shifts', keys.editor, {
      personId: 'li-nangang',
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 8 * 3_600_000).toISOString(),
      note: '夜班',
    });
    expect(shift.statusCode).toBe(201);
    const duty = (await call('GET', '/v1/units/district-230103/duty', keys.nangang)).json();
    expect(duty.onDuty).toEqual([expect.objectContaining({ personId: 'li-nangang', via: 'roster' })]);
    expect(duty.shifts).toEqual([expect.objectContaining({ id: shift.json().id, personName: '李四(示例)', note: '夜班' })]);

    expect((await call('DELETE', `/v1/units/district-230103/duty-shifts/${shift.json().id}`, keys.editor)).statusCode).toBe(204);
    const after = (await call('GET', '/v1/units/district-230103/duty', keys.nangang)).json();
    expect(after.onDuty.map((d: { personId: string; via: string }) => [d.personId, d.via])).toEqual([['duty-district-230103', 'standing']]);
    expect((await auditOf(shift.json().id)).map((a) => a.action)).toEqual(['duty_shift.created', 'duty_shift.deleted']);
  });

  it('issues a person a key shown once; the person then acts with their unit and roles; revoked keys stop working', async () => {
    await call('POST', '/v1/persons', keys.editor, { id: 'wang-daoli', unitId: 'district-230102', name: '王五(示例)', roles: ['district_bureau'] });
    const issued = await call('POST', '/v1/persons/wang-daoli/keys', keys.editor, { label: '手机' });
    expect(issued.statusCode).toBe(201);
    const { key, id: keyId, keyPrefix } = issued.json();
    expect(issued.json()).toMatchObject({ personId: 'wang-daoli', unitId: 'district-230102', scopes: ['tasks:act', 'reports:read'], name: '王五(示例)(手机)' });
    expect(key).toMatch(/^yq_/);
    expect(key.startsWith(keyPrefix)).toBe(true);
    const stored = await t.db.selectFrom('apiClients').select(['keyHash', 'personId']).where('id', '=', keyId).executeTakeFirstOrThrow();
    expect(stored.keyHash).not.toContain(key);
    expect(stored.personId).toBe('wang-daoli');

    const listed = await call('GET', '/v1/persons/wang-daoli/keys', keys.editor);
    expect(JSON.stringify(listed.json())).not.toContain(key);
    expect(listed.json().items).toEqual([expect.objectContaining({ id: keyId, keyPrefix, revokedAt: null })]);

    // The key is the person: their unit's tasks, their unit's contacts, not another unit's.
    expect((await call('GET', '/v1/tasks', key)).statusCode).toBe(200);
    expect((await call('GET', '/v1/tasks?unit=district-230103', key)).statusCode).toBe(403);
    const ownUnit = (await call('GET', '/v1/units/district-230102', key)).json();
    expect(ownUnit.persons.find((p: { id: string }) => p.id === 'duty-district-230102').contacts).toBeDefined();
    // Nor can it write the directory, or be used to grant more than its issuer holds.
    expect((await call('POST', '/v1/units', key, { id: 'x-unit', kind: 'outside', name: 'x' })).statusCode).toBe(403);
    expect((await call('POST', '/v1/persons/wang-daoli/keys', keys.daoliEditor, { scopes: ['admin'] })).statusCode).toBe(403);
    expect((await call('POST', '/v1/persons/wang-daoli/keys', keys.editor, { scopes: ['teleport'] })).statusCode).toBe(422);
    expect((await call('POST', '/v1/persons/nobody/keys', keys.editor, {})).statusCode).toBe(404);

    const spare = (await call('POST', '/v1/persons/wang-daoli/keys', keys.admin, { scopes: ['reports:read'] })).json();
    const revoked = await call('DELETE', `/v1/persons/wang-daoli/keys/${spare.id}`, keys.editor);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await call('GET', '/v1/units', spare.key)).statusCode).toBe(401);
    expect((await call('DELETE', `/v1/persons/wang-daoli/keys/${spare.id}`, keys.editor)).statusCode).toBe(404);

    const audit = await t.db
      .selectFrom('auditLog')
      .select(['actorId', 'action', 'entityId', 'after'])
      .where('action', 'like', 'person.key_%')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.actorId, a.action, a.entityId])).toEqual([
      ['directory-editor', 'person.key_issued', keyId],
      ['admin-key', 'person.key_issued', spare.id],
      ['directory-editor', 'person.key_revoked', spare.id],
    ]);
    expect(JSON.stringify(audit)).not.toContain(key);

    // Removing the person revokes the rest of their keys.
    expect((await call('DELETE', '/v1/persons/wang-daoli', keys.editor)).statusCode).toBe(204);
    const left = await t.db.selectFrom('apiClients').select('revokedAt').where('personId', '=', 'wang-daoli').execute();
    expect(left.every((k) => k.revokedAt !== null)).toBe(true);
  });
});

describe('routing rules', () => {
  it('shows and edits topic, district and role rules, validated and audited; new incidents follow them', async () => {
    const view = (await call('GET', '/v1/routing', keys.reader)).json();
    expect(view.topics).toHaveLength(TOPICS.length);
    expect(view.topics.find((r: { match: string }) => r.match === 'food_safety')).toMatchObject({ label: '食品安全', unitId: 'dept-food-safety' });
    expect(view.districts.find((r: { match: string }) => r.match === '230103')).toMatchObject({ label: '南岗区', unitId: 'district-230103' });
    expect(view.roles.find((r: { match: string }) => r.match === 'opinion_office')).toMatchObject({ unitId: 'opinion-office' });

    const toBureau = await call('PUT', '/v1/routing/topic/pricing', keys.editor, { unitId: 'district-230103' });
    expect(toBureau.statusCode).toBe(422);
    expect(toBureau.json().errors[0]).toMatchObject({ field: 'body.unitId', message: expect.stringContaining('district_bureau') });
    expect(fields(await call('PUT', '/v1/routing/topic/weather', keys.editor, { unitId: 'dept-pricing' }))).toEqual(['params.match']);
    expect(fields(await call('PUT', '/v1/routing/role/district_bureau', keys.editor, { unitId: 'district-230103' }))).toEqual(['params.match']);
    expect(fields(await call('PUT', '/v1/routing/district/230103', keys.editor, { unitId: 'nowhere' }))).toEqual(['body.unitId']);
    expect((await call('PUT', '/v1/routing/topic/pricing', keys.reader, { unitId: 'dept-consumer' })).statusCode).toBe(403);

    const moved = await call('PUT', '/v1/routing/topic/pricing', keys.editor, { unitId: 'dept-consumer' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().topics.find((r: { match: string }) => r.match === 'pricing').unitId).toBe('dept-consumer');
    const byName = await call('PUT', `/v1/routing/district/${encodeURIComponent('南岗区')}`, keys.editor, { unitId: 'district-230103' });
    expect(byName.statusCode).toBe(200);
    expect(await auditOf('topic:pricing')).toEqual([
      expect.objectContaining({
        actorId: 'directory-editor',
        action: 'routing.updated',
        before: { unitId: 'dept-pricing' },
        after: { unitId: 'dept-consumer' },
      }),
    ]);
    const routing = await resolveRouting(t.db, { topic: 'pricing', district: '230103' });
    expect(routing.department.unitId).toBe('dept-consumer');
  });

  it('replaces the whole rule set only when every topic and district is routed', async () => {
    const current = (await call('GET', '/v1/routing', keys.reader)).json();
    const doc = {
      topics: Object.fromEntries(current.topics.map((r: { match: string; unitId: string }) => [r.match, r.unitId])),
      districts: Object.fromEntries(current.districts.map((r: { match: string; unitId: string }) => [r.match, r.unitId])),
      roles: Object.fromEntries(
        current.roles.filter((r: { match: string }) => r.match !== 'public_security').map((r: { match: string; unitId: string }) => [r.match, r.unitId]),
      ),
    };
    const { pricing: _dropped, ...partialTopics } = doc.topics;
    const missing = await call('PUT', '/v1/routing', keys.editor, { ...doc, topics: partialTopics, roles: { ...doc.roles, opinion_office: undefined } });
    expect(missing.statusCode).toBe(422);
    expect(fields(missing)).toEqual(expect.arrayContaining(['body.topics.pricing', 'body.roles.opinion_office']));
    const wrongTarget = await call('PUT', '/v1/routing', keys.editor, { ...doc, districts: { ...doc.districts, '230184': 'dept-food-safety' } });
    expect(fields(wrongTarget)).toEqual(['body.districts.230184']);

    const ok = await call('PUT', '/v1/routing', keys.editor, { ...doc, topics: { ...doc.topics, other: 'dept-consumer' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().districts).toHaveLength(DISTRICT_CODES.length);
    expect(ok.json().roles.some((r: { match: string }) => r.match === 'public_security')).toBe(false);
    expect(ok.json().topics.find((r: { match: string }) => r.match === 'other').unitId).toBe('dept-consumer');
    const audit = await auditOf('rules');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'routing.replaced', before: expect.objectContaining({ 'role:public_security': 'ext-public-security' }) });
    expect(audit[0]!.after).not.toHaveProperty('role:public_security');
  });
});

describe('notification channels', () => {
  it('stores a channel’s address and secret but never shows or audits them', async () => {
    const hook = await call('POST', '/v1/channels', keys.editor, {
      unitId: 'district-230103',
      kind: 'webhook',
      address: 'https://oa.example.org/hooks/yuqing',
      label: '南岗区局办公系统',
    });
    expect(hook.statusCode).toBe(201);
    const { id, secret } = hook.json();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hook.json()).toMatchObject({ kind: 'webhook', kindLabel: 'Webhook', hasSecret: true, enabled: true });

    const list = await call('GET', '/v1/channels?unit=district-230103', keys.editor);
    expect(list.json().items).toEqual([expect.objectContaining({ id, label: '南岗区局办公系统', hasSecret: true })]);
    const shown = JSON.stringify([list.json(), (await call('GET', `/v1/channels/${id}`, keys.editor)).json()]);
    expect(shown).not.toContain('oa.example.org');
    expect(shown).not.toContain(secret);

    const rotated = await call('PATCH', `/v1/channels/${id}`, keys.editor, { rotateSecret: true, address: 'https://oa2.example.org/hooks/yuqing' });
    expect(rotated.json().secret).toBeDefined();
    expect(rotated.json().secret).not.toBe(secret);
    const row = await t.db.selectFrom('notificationChannels').select(['address', 'secret']).where('id', '=', id).executeTakeFirstOrThrow();
    // Address and secret are sealed at rest (services/dispatch/test/channel-secrets.test.ts opens them).
    expect(row.address).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(row.address).not.toContain('oa2.example.org');
    expect(row.secret).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(row.secret).not.toContain(rotated.json().secret);

    const audit = await auditOf(id);
    expect(audit.map((a) => a.action)).toEqual(['channel.created', 'channel.updated']);
    expect(audit[1]!.after).toMatchObject({ addressChanged: true, secretChanged: true });
    const text = JSON.stringify(audit);
    for (const s of ['oa.example.org', 'oa2.example.org', secret, rotated.json().secret]) expect(text).not.toContain(s);

    expect((await call('DELETE', `/v1/channels/${id}`, keys.editor)).statusCode).toBe(204);
    expect((await call('GET', `/v1/channels/${id}`, keys.editor)).statusCode).toBe(404);
  });

  it('answers 409 to the same channel twice, so a repeated request does not send everything twice', async () => {
    const address = 'https://oa.example.org/hooks/twice';
    const channels = async () =>
      Number(
        (
          await t.db
            .selectFrom('notificationChannels')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await channels();
    const first = await call('POST', '/v1/channels', keys.editor, { unitId: 'district-230103', kind: 'webhook', address });
    expect(first.statusCode).toBe(201);
    for (const same of [address, 'HTTPS://OA.Example.org:443/hooks/twice']) {
      const again = await call('POST', '/v1/channels', keys.editor, { unitId: 'district-230103', kind: 'webhook', address: same, label: '再来一次' });
      expect([again.statusCode, again.headers['content-type']]).toEqual([409, expect.stringContaining('application/problem+json')]);
      expect(again.json()).toMatchObject({ code: 'conflict', detail: expect.stringContaining(first.json().id) });
      expect(again.body).not.toContain('oa.example.org');
    }
    // Another kind, another owner or another address is another channel.
    expect((await call('POST', '/v1/channels', keys.editor, { unitId: 'district-230103', kind: 'dingtalk', address })).statusCode).toBe(201);
    expect((await call('POST', '/v1/channels', keys.editor, { unitId: 'district-230102', kind: 'webhook', address })).statusCode).toBe(201);
    const second = await call('POST', '/v1/channels', keys.editor, { unitId: 'district-230103', kind: 'webhook', address: `${address}-2` });
    expect(second.statusCode).toBe(201);
    // Moving a channel onto its sibling's address is a duplicate too.
    expect((await call('PATCH', `/v1/channels/${second.json().id}`, keys.editor, { address })).statusCode).toBe(409);
    expect((await call('PATCH', `/v1/channels/${first.json().id}`, keys.editor, { address, label: '同一地址' })).statusCode).toBe(200);
    const mail = { personId: 'duty-district-230103', kind: 'email', address: 'Duty.Twice@Example.org' };
    expect((await call('POST', '/v1/channels', keys.editor, mail)).statusCode).toBe(201);
    expect((await call('POST', '/v1/channels', keys.editor, { ...mail, address: 'duty.twice@example.org' })).statusCode).toBe(409);
    // Five made, every repeat refused (the addresses are sealed, so they are counted, not searched for).
    expect((await channels()) - before).toBe(5);
  });

  it('refuses a channel that cannot work, naming the field', async () => {
    const cases: [unknown, string[]][] = [
      [{ unitId: 'district-230103', kind: 'email', address: 'nobody' }, ['body.address']],
      [{ unitId: 'district-230103', kind: 'webhook', address: 'ftp://x.example.org/' }, ['body.address']],
      [{ unitId: 'district-230103', kind: 'webhook', address: 'https://user:pw@x.example.org/' }, ['body.address']],
      [{ unitId: 'district-230103', kind: 'webhook', address: 'http://127.0.0.1:3002/v1/channels' }, ['body.address']],
      [{ unitId: 'district-230103', kind: 'wecom', address: 'http://169.254.169.254/latest/meta-data/' }, ['body.address']],
      [{ unitId: 'district-230103', kind: 'wecom', address: 'https://qyapi.example.org/cgi-bin/webhook/send?key=k', secret: 'x'.repeat(20) }, ['body.secret']],
      [{ unitId: 'district-230103', personId: 'duty-district-230103', kind: 'email', address: 'a@example.org' }, ['body.unitId']],
      [{ unitId: 'nowhere', kind: 'email', address: 'a@example.org' }, ['body.unitId']],
      [{ unitId: 'district-230103', kind: 'sms', address: '110' }, ['body.kind']],
    ];
    for (const [body, expected] of cases) {
      const res = await call('POST', '/v1/channels', keys.editor, body);
      expect([res.statusCode, fields(res)]).toEqual([422, expected]);
    }
    expect((await call('POST', '/v1/channels', keys.nangang, { unitId: 'district-230103', kind: 'email', address: 'a@example.org' })).statusCode).toBe(403);
    expect((await call('GET', '/v1/channels', keys.reader)).statusCode).toBe(403);
  });
});
