/**
 * What the plan asks the directory to hold besides units and people: each member
 * unit's information officer (§2(一)), the expert pool and the commentator team
 * (§8(二)), and the bureau's release channels (§8(三), 两微一端), over REST against a
 * real database; every refusal tried with the key of each role that should be refused.
 */
import { type App } from '@yuqing/http-kit';
import { loadConfig, releaseChannelExists } from '@yuqing/shared';
import { createTestDatabase, createTestKey, type TestDatabase, startDispatchApp } from '@yuqing/testkit';
import { requireReleaseChannel } from '../src/routes/guards';

let t: TestDatabase;
let app: App;
const keys = {} as Record<'admin' | 'office' | 'officeEditor' | 'reader' | 'nangang' | 'nangangEditor' | 'daoliEditor' | 'department', string>;

beforeAll(async () => {
  t = await createTestDatabase();
  keys.admin = await createTestKey(t.db, { scopes: ['admin'], id: 'city-admin' });
  keys.office = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'], id: 'office-clerk' });
  keys.officeEditor = await createTestKey(t.db, {
    scopes: ['tasks:act', 'reports:read', 'directory:write'],
    unitId: 'opinion-office',
    roles: ['opinion_office'],
    id: 'office-editor',
  });
  keys.reader = await createTestKey(t.db, { scopes: ['reports:read'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.nangangEditor = await createTestKey(t.db, {
    scopes: ['tasks:act', 'reports:read', 'directory:write'],
    unitId: 'district-230103',
    roles: ['district_bureau'],
    id: 'nangang-editor',
  });
  keys.daoliEditor = await createTestKey(t.db, {
    scopes: ['tasks:act', 'reports:read', 'directory:write'],
    unitId: 'district-230102',
    roles: ['district_bureau'],
    id: 'daoli-editor',
  });
  keys.department = await createTestKey(t.db, {
    scopes: ['tasks:act', 'reports:read', 'directory:write'],
    unitId: 'dept-food-safety',
    roles: ['responsible_department'],
  });
  app = await startDispatchApp(t.db, loadConfig({}));
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, key?: string, payload?: unknown) =>
  app.inject({ method, url, headers: key ? { authorization: `Bearer ${key}` } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });

const fields = (res: { json(): { errors?: { field: string }[] } }) => (res.json().errors ?? []).map((e) => e.field);

const auditOf = (entityId: string) =>
  t.db.selectFrom('auditLog').select(['actorId', 'action', 'before', 'after']).where('entityId', '=', entityId).orderBy('id').execute();

const rolesOf = async (personId: string) => (await t.db.selectFrom('persons').select('roles').where('id', '=', personId).executeTakeFirst())?.roles;

type Gap = { unitId: string; unitName: string; unitKind: string; unitKindLabel: string; gaps: { gap: string; label: string }[] };
const gapUnits = async () => ((await call('GET', '/v1/directory/gaps', keys.office)).json().items as Gap[]).map((g) => g.unitId);

describe('information officers (舆情信息员)', () => {
  it('lists every department, affiliated unit and district bureau without one as a gap for the office', async () => {
    const res = await call('GET', '/v1/directory/gaps', keys.office);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Gap[];
    // 13 departments, 2 affiliated units and 18 district bureaus; not the office, the stations or outside bodies.
    expect(items).toHaveLength(33);
    expect(items.find((g) => g.unitId === 'district-230102')).toEqual({
      unitId: 'district-230102',
      unitName: '道里区市场监督管理局',
      unitKind: 'district_bureau',
      unitKindLabel: '区、县(市)局',
      gaps: [{ gap: 'information_officer', label: '未明确舆情信息员' }],
    });
    expect(items.map((g) => g.unitKind).every((k) => ['department', 'affiliated', 'district_bureau'].includes(k))).toBe(true);
    expect((await call('GET', '/v1/directory/gaps', keys.admin)).statusCode).toBe(200);
  });

  it('a unit names its own officer, a new person or one it has; the gap closes and the change is audited with its actor', async () => {
    const named = await call('POST', '/v1/persons', keys.daoliEditor, {
      id: 'zhao-daoli',
      unitId: 'district-230102',
      name: '赵六(示例)',
      roles: ['information_officer'],
      contacts: { email: 'zhao.daoli@example.org' },
    });
    expect(named.statusCode).toBe(201);
    expect(named.json()).toMatchObject({ roles: ['information_officer'], roleLabels: ['舆情信息员'] });
    expect(await gapUnits()).not.toContain('district-230102');
    expect(await gapUnits()).toContain('district-230103');

    // An existing person of the unit named as well: a unit may name more than one.
    const second = await call('PATCH', '/v1/persons/duty-district-230102', keys.daoliEditor, { roles: ['district_bureau', 'information_officer'] });
    expect(second.statusCode).toBe(200);
    const listed = (await call('GET', '/v1/persons?role=information_officer&unit=district-230102', keys.nangang)).json().items;
    expect(listed.map((p: { id: string }) => p.id)).toEqual(['duty-district-230102', 'zhao-daoli']);

    const audit = await auditOf('zhao-daoli');
    expect(audit.map((a) => [a.actorId, a.action])).toEqual([['daoli-editor', 'person.created']]);
    expect(audit[0]!.after).toMatchObject({ unitId: 'district-230102', roles: ['information_officer'] });

    // Taking the role away reopens the gap once nobody holds it.
    expect((await call('PATCH', '/v1/persons/duty-district-230102', keys.daoliEditor, { roles: ['district_bureau'] })).statusCode).toBe(200);
    expect((await call('DELETE', '/v1/persons/zhao-daoli', keys.daoliEditor)).statusCode).toBe(204);
    expect(await gapUnits()).toContain('district-230102');
  });

  it('refuses a district that manages another unit’s officer, and the keys that may not read the gaps; nothing changes', async () => {
    const qian = await call('POST', '/v1/persons', keys.nangangEditor, {
      id: 'qian-nangang',
      unitId: 'district-230103',
      name: '钱七(示例)',
      roles: ['information_officer'],
    });
    expect(qian.statusCode).toBe(201);

    const intrude = await call('POST', '/v1/persons', keys.daoliEditor, { unitId: 'district-230103', name: '冒名', roles: ['information_officer'] });
    expect(intrude.statusCode).toBe(403);
    expect(intrude.json().detail).toContain('只能管理本单位人员');
    expect((await call('PATCH', '/v1/persons/qian-nangang', keys.daoliEditor, { roles: [] })).statusCode).toBe(403);
    expect((await call('PATCH', '/v1/persons/duty-district-230103', keys.daoliEditor, { roles: ['district_bureau', 'information_officer'] })).statusCode).toBe(
      403,
    );
    expect((await call('DELETE', '/v1/persons/qian-nangang', keys.daoliEditor)).statusCode).toBe(403);
    // Moving someone of its own into the other unit as its officer is managing the other unit too.
    await call('POST', '/v1/persons', keys.daoliEditor, { id: 'sun-daoli', unitId: 'district-230102', name: '孙八(示例)' });
    expect((await call('PATCH', '/v1/persons/sun-daoli', keys.daoliEditor, { unitId: 'district-230103', roles: ['information_officer'] })).statusCode).toBe(
      403,
    );
    // A key without directory:write names nobody, even in its own unit.
    expect((await call('POST', '/v1/persons', keys.nangang, { unitId: 'district-230103', name: '无权', roles: ['information_officer'] })).statusCode).toBe(403);

    expect(await rolesOf('qian-nangang')).toEqual(['information_officer']);
    expect(await rolesOf('duty-district-230103')).toEqual(['district_bureau']);
    expect(await rolesOf('sun-daoli')).toEqual([]);
    expect(await t.db.selectFrom('persons').select('id').where('name', 'in', ['冒名', '无权']).execute()).toEqual([]);
    expect(await gapUnits()).not.toContain('district-230103');

    for (const key of [keys.nangang, keys.daoliEditor, keys.department, keys.reader]) {
      const res = await call('GET', '/v1/directory/gaps', key);
      expect([res.statusCode, res.headers['content-type']]).toEqual([403, expect.stringContaining('application/problem+json')]);
    }
    expect((await call('GET', '/v1/directory/gaps')).statusCode).toBe(401);
  });

  it('is a role of the unit’s own people: not routed to a unit, and only a known role is accepted', async () => {
    const routed = await call('PUT', '/v1/routing/role/information_officer', keys.admin, { unitId: 'opinion-office' });
    expect(routed.statusCode).toBe(422);
    expect(fields(routed)).toEqual(['params.match']);
    const bad = await call('POST', '/v1/persons', keys.daoliEditor, { unitId: 'district-230102', name: '某人', roles: ['info_officer'] });
    expect(bad.statusCode).toBe(422);
    expect(fields(bad)).toEqual(['body.roles.0']);
  });
});

describe('the expert pool and the commentator team (plan §8(二))', () => {
  type Member = { id: string; kind: string; name: string; unitId: string | null; contacts?: Record<string, string>; expertise: string[] };
  const members = async (group: string, query = '', key = keys.office) =>
    (await call('GET', `/v1/groups/${group}/members${query}`, key)).json().items as Member[];

  it('the office adds outside experts and directory people; everyone with a key reads them, the contacts only the coordinating units', async () => {
    const expert = await call('POST', '/v1/groups/expert_pool/members', keys.officeEditor, {
      id: 'expert-zhou',
      name: '周教授(示例)',
      organisation: '某大学法学院(示例)',
      title: '教授',
      topics: ['food_safety'],
      expertise: ['食品安全法', '风险沟通'],
      contacts: { email: 'zhou.expert@example.org', mobile: '000-0000-0009' },
    });
    expect(expert.statusCode).toBe(201);
    expect(expert.json()).toMatchObject({
      id: 'expert-zhou',
      group: 'expert_pool',
      groupLabel: '舆情引导专家库',
      kind: 'contact',
      personId: null,
      topicLabels: ['食品安全'],
      contacts: { email: 'zhou.expert@example.org' },
    });
    const staff = await call('POST', '/v1/groups/commentator_team/members', keys.admin, { personId: 'duty-district-230103', expertise: ['网络评论'] });
    expect(staff.statusCode).toBe(201);
    expect(staff.json()).toMatchObject({ kind: 'person', name: '南岗区市场监督管理局值班员(示例)', unitId: 'district-230103' });
    const outside = await call('POST', '/v1/groups/commentator_team/members', keys.officeEditor, { name: '网评员甲(示例)', unitId: 'station-230103-1' });
    expect(outside.statusCode).toBe(201);

    const groups = (await call('GET', '/v1/groups', keys.nangang)).json().items;
    expect(groups).toEqual([
      { group: 'expert_pool', label: '舆情引导专家库', members: 1 },
      { group: 'commentator_team', label: '网评员队伍', members: 2 },
    ]);
    expect((await members('expert_pool', '?topic=food_safety')).map((m) => m.id)).toEqual(['expert-zhou']);
    expect(await members('expert_pool', '?topic=pricing')).toEqual([]);
    expect((await members('commentator_team', '?unit=district-230103')).map((m) => m.id)).toEqual([staff.json().id]);
    expect((await members('commentator_team', '?unit=station-230103-1')).map((m) => m.name)).toEqual(['网评员甲(示例)']);
    // A district reads who the experts are and what they know, not how to reach them.
    const seenByDistrict = await members('expert_pool', '', keys.nangang);
    expect(seenByDistrict[0]).toMatchObject({ name: '周教授(示例)', expertise: ['食品安全法', '风险沟通'] });
    expect(seenByDistrict[0]!.contacts).toBeUndefined();
    expect((await members('expert_pool', '', keys.office))[0]!.contacts).toEqual({ email: 'zhou.expert@example.org', mobile: '000-0000-0009' });

    const patched = await call('PATCH', '/v1/groups/expert_pool/members/expert-zhou', keys.officeEditor, { expertise: ['食品安全法'], note: '可接受媒体采访' });
    expect(patched.json()).toMatchObject({ expertise: ['食品安全法'], note: '可接受媒体采访' });
    const audit = await auditOf('expert-zhou');
    expect(audit.map((a) => [a.actorId, a.action])).toEqual([
      ['office-editor', 'group_member.created'],
      ['office-editor', 'group_member.updated'],
    ]);
    expect(audit[1]!.before).toMatchObject({ expertise: ['食品安全法', '风险沟通'], contactKinds: ['email', 'mobile'] });
    expect(JSON.stringify(audit)).not.toContain('zhou.expert@example.org');

    expect((await call('DELETE', `/v1/groups/commentator_team/members/${outside.json().id}`, keys.admin)).statusCode).toBe(204);
    expect((await call('GET', `/v1/groups/commentator_team/members/${outside.json().id}`, keys.office)).statusCode).toBe(404);
    expect((await auditOf(outside.json().id)).map((a) => [a.actorId, a.action])).toEqual([
      ['office-editor', 'group_member.created'],
      ['city-admin', 'group_member.deleted'],
    ]);
  });

  it('refuses every other key that tries to change them, and changes nothing', async () => {
    const before = await t.db.selectFrom('groupMembers').selectAll().orderBy('id').execute();
    const add = { name: '不速之客', topics: ['pricing'] };
    for (const key of [keys.nangangEditor, keys.daoliEditor, keys.department]) {
      const res = await call('POST', '/v1/groups/expert_pool/members', key, add);
      expect([res.statusCode, res.json().detail]).toEqual([403, expect.stringContaining('由舆情办或市局系统管理员管理')]);
      expect((await call('PATCH', '/v1/groups/expert_pool/members/expert-zhou', key, { note: '改' })).statusCode).toBe(403);
      expect((await call('DELETE', '/v1/groups/expert_pool/members/expert-zhou', key)).statusCode).toBe(403);
    }
    // Without directory:write, not even the office's own clerk.
    for (const key of [keys.office, keys.nangang, keys.reader]) {
      expect((await call('POST', '/v1/groups/commentator_team/members', key, add)).statusCode).toBe(403);
      expect((await call('DELETE', '/v1/groups/expert_pool/members/expert-zhou', key)).statusCode).toBe(403);
    }
    expect((await call('POST', '/v1/groups/expert_pool/members', undefined, add)).statusCode).toBe(401);
    expect(await t.db.selectFrom('groupMembers').selectAll().orderBy('id').execute()).toEqual(before);
  });

  it('answers bad members with 422 naming the field, a person twice with 409', async () => {
    const neither = await call('POST', '/v1/groups/expert_pool/members', keys.officeEditor, { topics: ['food_safety'] });
    expect([neither.statusCode, fields(neither)]).toEqual([422, ['body.name']]);
    const both = await call('POST', '/v1/groups/expert_pool/members', keys.officeEditor, { personId: 'duty-dept-pricing', name: '另一个名字' });
    expect([both.statusCode, fields(both)]).toEqual([422, ['body.name']]);
    const nobody = await call('POST', '/v1/groups/expert_pool/members', keys.officeEditor, { personId: 'nobody' });
    expect(fields(nobody)).toEqual(['body.personId']);
    const nowhere = await call('POST', '/v1/groups/commentator_team/members', keys.officeEditor, { name: '某人', unitId: 'nowhere' });
    expect(fields(nowhere)).toEqual(['body.unitId']);
    const topic = await call('POST', '/v1/groups/expert_pool/members', keys.officeEditor, { name: '某人', topics: ['cooking'], expertise: [' '] });
    expect(fields(topic).sort()).toEqual(['body.expertise.0', 'body.topics.0']);
    const group = await call('POST', '/v1/groups/fan_club/members', keys.officeEditor, { name: '某人' });
    expect([group.statusCode, fields(group)]).toEqual([400, ['params.group']]);
    expect((await call('POST', '/v1/groups/expert_pool/members', keys.officeEditor, { personId: 'duty-dept-pricing' })).statusCode).toBe(201);
    expect((await call('POST', '/v1/groups/expert_pool/members', keys.officeEditor, { personId: 'duty-dept-pricing' })).statusCode).toBe(409);
    expect(await t.db.selectFrom('groupMembers').select('id').where('name', 'in', ['某人', '另一个名字']).execute()).toEqual([]);
  });
});

describe('release channels (两微一端, plan §8(三))', () => {
  type Channel = { id: string; name: string; kind: string; kindLabel: string; url: string | null; active: boolean };
  const channels = async (query = '', key = keys.nangang) => (await call('GET', `/v1/release-channels${query}`, key)).json().items as Channel[];

  it('are seeded with the portal website, Weibo, WeChat and the news app, and every key reads them', async () => {
    expect((await channels()).map((c) => [c.id, c.kind, c.kindLabel, c.url, c.active])).toEqual([
      ['news-app', 'news_app', '新闻客户端', null, true],
      ['website', 'website', '门户网站', null, true],
      ['wechat', 'wechat', '微信公众号', null, true],
      ['weibo', 'weibo', '官方微博', null, true],
    ]);
    expect((await call('GET', '/v1/release-channels/weibo', keys.reader)).json()).toMatchObject({ name: '哈尔滨市场监管官方微博', kind: 'weibo' });
    expect((await call('GET', '/v1/release-channels/tv', keys.reader)).statusCode).toBe(404);
    expect((await call('GET', '/v1/release-channels')).statusCode).toBe(401);
  });

  it('administrators add, re-address and retire them; a release may name only an active one (422 naming the field)', async () => {
    const added = await call('POST', '/v1/release-channels', keys.admin, {
      id: 'douyin',
      name: '哈尔滨市场监管抖音号',
      kind: 'other',
      url: 'https://www.douyin.example.com/hrbscjg',
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ id: 'douyin', kindLabel: '其他渠道', active: true });
    const readdressed = await call('PATCH', '/v1/release-channels/website', keys.admin, { url: 'https://scjg.harbin.example.org/' });
    expect(readdressed.json()).toMatchObject({ id: 'website', url: 'https://scjg.harbin.example.org/' });
    expect(await releaseChannelExists(t.db, 'douyin')).toBe(true);
    await expect(requireReleaseChannel(t.db, 'douyin')).resolves.toBeUndefined();

    expect((await call('PATCH', '/v1/release-channels/douyin', keys.admin, { active: false })).json()).toMatchObject({ active: false });
    expect((await channels('?active=true')).map((c) => c.id)).not.toContain('douyin');
    expect((await channels('?active=false')).map((c) => c.id)).toEqual(['douyin']);
    expect((await channels()).map((c) => c.id)).toContain('douyin');
    expect(await releaseChannelExists(t.db, 'douyin')).toBe(false);
    for (const channel of ['douyin', 'tv', 42, undefined]) {
      await expect(requireReleaseChannel(t.db, channel)).rejects.toMatchObject({
        status: 422,
        detail: expect.stringContaining('未知或已停用的发布渠道'),
        errors: [expect.objectContaining({ field: 'body.channel' })],
      });
    }

    const audit = await auditOf('douyin');
    expect(audit.map((a) => [a.actorId, a.action])).toEqual([
      ['city-admin', 'release_channel.created'],
      ['city-admin', 'release_channel.updated'],
    ]);
    expect([audit[1]!.before, audit[1]!.after]).toEqual([expect.objectContaining({ active: true }), expect.objectContaining({ active: false })]);
  });

  it('refuses every key that is not an administrator’s, and changes nothing', async () => {
    const before = await t.db.selectFrom('releaseChannels').selectAll().orderBy('id').execute();
    const add = { id: 'kuaishou', name: '快手号', kind: 'other' };
    for (const key of [keys.officeEditor, keys.nangangEditor, keys.daoliEditor, keys.department]) {
      const res = await call('POST', '/v1/release-channels', key, add);
      expect([res.statusCode, res.json().detail]).toEqual([403, expect.stringContaining('发布渠道仅由市局系统管理员维护')]);
      expect((await call('PATCH', '/v1/release-channels/weibo', key, { name: '改名' })).statusCode).toBe(403);
      expect((await call('PATCH', '/v1/release-channels/weibo', key, { active: false })).statusCode).toBe(403);
    }
    for (const key of [keys.office, keys.nangang, keys.reader])
      expect((await call('PATCH', '/v1/release-channels/weibo', key, { name: '改名' })).statusCode).toBe(403);
    expect((await call('PATCH', '/v1/release-channels/weibo', undefined, { name: '改名' })).statusCode).toBe(401);
    expect(await t.db.selectFrom('releaseChannels').selectAll().orderBy('id').execute()).toEqual(before);
  });

  it('answers bad channels with 422 naming the field, a taken id with 409 and an unknown one with 404', async () => {
    const bad = await call('POST', '/v1/release-channels', keys.admin, { id: 'Bad Id', kind: 'tv', name: ' ' });
    expect([bad.statusCode, fields(bad).sort()]).toEqual([422, ['body.id', 'body.kind', 'body.name']]);
    const script = await call('POST', '/v1/release-channels', keys.admin, { id: 'x-site', name: '某站', kind: 'website', url: 'javascript:alert(1)' });
    expect(fields(script)).toEqual(['body.url']);
    expect((await call('POST', '/v1/release-channels', keys.admin, { id: 'weibo', name: '又一个微博', kind: 'weibo' })).statusCode).toBe(409);
    expect((await call('PATCH', '/v1/release-channels/nowhere', keys.admin, { name: '无' })).statusCode).toBe(404);
    expect(fields(await call('PATCH', '/v1/release-channels/weibo', keys.admin, {}))).toEqual(['body']);
    expect(await t.db.selectFrom('releaseChannels').select('id').where('id', 'in', ['x-site']).execute()).toEqual([]);
  });
});

describe('OpenAPI', () => {
  it('documents the registers’ routes', async () => {
    const spec = (await call('GET', '/docs/json')).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/directory/gaps',
        '/v1/groups',
        '/v1/groups/{group}/members',
        '/v1/groups/{group}/members/{id}',
        '/v1/release-channels',
        '/v1/release-channels/{id}',
      ]),
    );
  });
});
