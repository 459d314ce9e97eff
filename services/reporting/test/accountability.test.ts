/**
 * The accountability record (问责记录, plan §8(五)3) on the real path: a policy with
 * a one-second acknowledgement makes the incident workflow lapse and escalate on
 * the real Temporal server; the events reach reporting's consumer over NATS, which
 * records each against the late unit with who was on duty then. The office records
 * the outcome over HTTP; every other key is tried and refused.
 */
import { DEFAULT_POLICY, MIGRATIONS, type PolicyDocumentInput } from '@yuqing/shared';
import { createTestKey, eventually, publishCityPolicy } from '@yuqing/testkit';
import { startReportingHarness, type ReportingHarness } from './harness';

let h: ReportingHarness;
const keys = {} as Record<'admin' | 'office' | 'leadership' | 'nangang' | 'daoli' | 'reader', string>;
const ids = {} as Record<'nangang' | 'daoli', string>;

interface Rec {
  id: string;
  incidentId: string;
  cause: string;
  causeLabel: string;
  taskKey: string;
  taskLabel: string;
  stage: number | null;
  unitId: string | null;
  unitName: string | null;
  overdueMs: number;
  resolvedAt: string | null;
  lateMs: number;
  onDuty: { personId: string; name: string; via: string; viaLabel: string }[];
  outcome: null | { code: string; label: string; note: string; by: { id: string } };
}

/** The default policy, with the general tier's acknowledgement due in 1 s, reminded at once and escalated to the office 0.5 s later. */
function quickAckPolicy(): PolicyDocumentInput {
  const doc = structuredClone(DEFAULT_POLICY);
  const ack = doc.tiers.general.tasks.find((t) => t.kind === 'acknowledge')!;
  ack.deadline = '1s';
  ack.chain = [
    { after: '0s', action: 'remind', notify: ['owner'] },
    { after: '500ms', action: 'escalate', notify: ['opinion_office'] },
  ];
  return doc;
}

const get = (url: string, key: string | null = keys.office) => h.app.inject({ url, headers: key ? { authorization: `Bearer ${key}` } : {} });
const put = (url: string, payload: unknown, key: string) =>
  h.app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${key}` }, payload: payload as object });
const dispatch = (method: 'POST' | 'PATCH', url: string, payload: unknown, key = keys.admin) =>
  h.dispatch.inject({ method, url, headers: { authorization: `Bearer ${key}` }, payload: payload as object });
const records = async (query: string, key: string | null = keys.office) => (await get(`/v1/accountability${query}`, key)).json().items as Rec[];
const fields = (res: { json(): { errors?: { field: string }[] } }) => (res.json().errors ?? []).map((e) => e.field);

beforeAll(async () => {
  h = await startReportingHarness('reporting-accountability');
  keys.admin = await createTestKey(h.t.db, { scopes: ['admin'] });
  keys.office = await createTestKey(h.t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'], id: 'office-clerk' });
  keys.leadership = await createTestKey(h.t.db, {
    scopes: ['tasks:act', 'reports:read'],
    unitId: 'leadership-group',
    roles: ['leadership_group'],
    id: 'group-clerk',
  });
  keys.nangang = await createTestKey(h.t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.daoli = await createTestKey(h.t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230102', roles: ['district_bureau'] });
  keys.reader = await createTestKey(h.t.db, { scopes: ['reports:read'] });

  // 南岗区 has a rostered duty officer now; 道里区 nobody on duty, only its information officer.
  expect((await dispatch('POST', '/v1/persons', { id: 'li-nangang', unitId: 'district-230103', name: '李四(示例)' })).statusCode).toBe(201);
  const shift = await dispatch('POST', '/v1/units/district-230103/duty-shifts', {
    personId: 'li-nangang',
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(shift.statusCode).toBe(201);
  expect((await dispatch('PATCH', '/v1/persons/duty-district-230102', { onDuty: false })).statusCode).toBe(200);
  expect(
    (await dispatch('POST', '/v1/persons', { id: 'zhao-daoli', unitId: 'district-230102', name: '赵六(示例)', roles: ['information_officer'] })).statusCode,
  ).toBe(201);

  await publishCityPolicy(h.t.db, quickAckPolicy());
  ids.nangang = await h.report({
    title: '网传南岗区某超市拒绝七日无理由退货',
    topic: 'consumer_rights',
    district: '南岗区',
    metrics: { reportCount: 3, reach: 2_000 },
    suggestedTier: 'general',
  });
  ids.daoli = await h.report({
    title: '网传道里区某商场价格欺诈',
    topic: 'pricing',
    district: '道里区',
    metrics: { reportCount: 2, reach: 1_000 },
    suggestedTier: 'general',
  });
  for (const id of Object.values(ids)) {
    await eventually(async () => (await records(`?incident=${id}`)).length === 2 && true, 30_000, `the lapse and the escalation of ${id}`);
  }
});
afterAll(() => h.close());

describe('the accountability record (问责记录)', () => {
  it('holds each lapse and escalation against the late unit, with who was on duty then and how late', async () => {
    const [escalation, lapse] = await records(`?incident=${ids.nangang}`);
    expect(lapse).toMatchObject({
      cause: 'deadline_lapsed',
      causeLabel: '超时预警',
      taskKey: 'acknowledge:district-230103',
      taskLabel: '签收预警',
      stage: null,
      unitId: 'district-230103',
      unitName: '南岗区市场监督管理局',
      resolvedAt: null,
      outcome: null,
      onDuty: [{ personId: 'li-nangang', name: '李四(示例)', via: 'roster', viaLabel: '值班表' }],
    });
    expect(escalation).toMatchObject({ cause: 'escalated', causeLabel: '督办升级', stage: 1, unitId: 'district-230103' });
    expect(escalation!.overdueMs).toBeGreaterThanOrEqual(500);
    expect(lapse!.lateMs).toBeGreaterThan(escalation!.overdueMs - 1);
    // The event that made each is its id: the timeline has it too.
    const timeline = await h.t.db.selectFrom('timelineEntries').select('eventId').where('incidentId', '=', ids.nangang).execute();
    expect(timeline.map((e) => e.eventId)).toEqual(expect.arrayContaining([lapse!.id, escalation!.id]));

    const daoli = await records(`?incident=${ids.daoli}`);
    expect(daoli.map((r) => r.onDuty)).toEqual([
      [{ personId: 'zhao-daoli', name: '赵六(示例)', via: 'information_officer', viaLabel: '舆情信息员' }],
      [{ personId: 'zhao-daoli', name: '赵六(示例)', via: 'information_officer', viaLabel: '舆情信息员' }],
    ]);
  });

  it('lists per unit and period for the office, and as a spreadsheet', async () => {
    expect((await records('?unit=district-230102')).map((r) => r.incidentId)).toEqual([ids.daoli, ids.daoli]);
    const all = await get('/v1/accountability');
    expect(all.json().byOutcome).toEqual({ pending: 4, talk: 0, circular: 0, exempt: 0 });
    expect(await records(`?from=${encodeURIComponent('2020-01-01T00:00:00+08:00')}&to=${encodeURIComponent('2020-02-01T00:00:00+08:00')}`)).toEqual([]);
    expect(await records(`?from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`)).toHaveLength(4);
    const reversed = await get(
      `/v1/accountability?from=${encodeURIComponent('2026-11-02T00:00:00+08:00')}&to=${encodeURIComponent('2026-11-01T00:00:00+08:00')}`,
    );
    expect([reversed.statusCode, fields(reversed)]).toEqual([400, ['querystring.to']]);
    expect(fields(await get('/v1/accountability?outcome=fired'))).toEqual(['querystring.outcome']);

    const csv = await get('/v1/accountability.csv?unit=district-230103');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body.startsWith('\uFEFF记录编号,舆情标题,')).toBe(true);
    const lines = csv.body.trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('南岗区市场监督管理局');
    expect(lines[1]).toContain('李四(示例)(值班表)');
    expect(lines[1]).toContain('待处理');
  });

  it('shows a district only its own records: another unit’s are refused or not found', async () => {
    expect((await records('', keys.nangang)).map((r) => r.unitId)).toEqual(['district-230103', 'district-230103']);
    expect((await records('', keys.daoli)).map((r) => r.unitId)).toEqual(['district-230102', 'district-230102']);
    const other = await get('/v1/accountability?unit=district-230102', keys.nangang);
    expect([other.statusCode, other.json().detail]).toEqual([403, expect.stringContaining('只能查看本单位情况')]);
    expect((await get('/v1/accountability.csv?unit=district-230102', keys.nangang)).statusCode).toBe(403);
    const daoliRecord = (await records(`?incident=${ids.daoli}`))[0]!;
    expect((await get(`/v1/accountability/${encodeURIComponent(daoliRecord.id)}`, keys.nangang)).statusCode).toBe(404);
    expect((await get(`/v1/accountability/${encodeURIComponent(daoliRecord.id)}`, keys.daoli)).json()).toMatchObject({ id: daoliRecord.id });
    expect((await get('/v1/accountability', keys.reader)).statusCode).toBe(403);
    expect((await get('/v1/accountability', null)).statusCode).toBe(401);
  });

  it('the office records the outcome, audited with its actor; every other key is refused and nothing changes', async () => {
    const [, lapse] = await records(`?incident=${ids.nangang}`);
    const url = `/v1/accountability/${encodeURIComponent(lapse!.id)}/outcome`;
    const outcome = { outcome: 'talk', note: '已约谈南岗区局分管负责人' };
    const own = await put(url, outcome, keys.nangang);
    expect([own.statusCode, own.json().detail]).toEqual([403, expect.stringContaining('由舆情办或领导小组记录')]);
    expect((await put(url, outcome, keys.daoli)).statusCode).toBe(404);
    expect((await put(url, outcome, keys.admin)).statusCode).toBe(403);
    expect((await put(url, outcome, keys.reader)).statusCode).toBe(403);
    const bad = await put(url, { outcome: 'fired', note: ' ' }, keys.office);
    expect([bad.statusCode, fields(bad).sort()]).toEqual([422, ['body.note', 'body.outcome']]);
    const untouched = await h.t.db.selectFrom('accountabilityRecords').select(['outcome', 'outcomeAt']).where('id', '=', lapse!.id).executeTakeFirstOrThrow();
    expect(untouched).toEqual({ outcome: null, outcomeAt: null });

    const recorded = await put(url, outcome, keys.office);
    expect(recorded.statusCode).toBe(200);
    expect(recorded.json().outcome).toMatchObject({
      code: 'talk',
      label: '约谈',
      note: '已约谈南岗区局分管负责人',
      by: { id: 'office-clerk', unitId: 'opinion-office' },
    });
    // The leadership group revises it; both are in the audit log with who made them.
    expect((await put(url, { outcome: 'exempt', note: '系统故障所致,免责' }, keys.leadership)).json().outcome).toMatchObject({ code: 'exempt', label: '免责' });
    const audit = await h.t.db
      .selectFrom('auditLog')
      .select(['actorId', 'action', 'before', 'after'])
      .where('entityId', '=', lapse!.id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.actorId, a.action])).toEqual([
      ['office-clerk', 'accountability.outcome_recorded'],
      ['group-clerk', 'accountability.outcome_recorded'],
    ]);
    expect(audit[1]!.before).toEqual({ outcome: 'talk', note: '已约谈南岗区局分管负责人' });
    expect((await records('?outcome=exempt', keys.nangang)).map((r) => r.id)).toEqual([lapse!.id]);
    expect((await get('/v1/accountability/nothing/outcome', keys.office)).statusCode).toBe(404);
    expect((await put('/v1/accountability/nothing/outcome', outcome, keys.office)).statusCode).toBe(404);
  });

  it('keeps a unit from judging its own lapse', async () => {
    await h.t.db
      .insertInto('accountabilityRecords')
      .values({
        id: `office-lapse-${Date.now()}`,
        incidentId: ids.nangang,
        cause: 'deadline_lapsed',
        taskKey: 'digest',
        taskKind: 'digest',
        owner: 'opinion_office',
        unitId: 'opinion-office',
        dueAt: new Date(Date.now() - 60_000),
        occurredAt: new Date(),
        overdueMs: 60_000,
      })
      .execute();
    const [record] = await records('?unit=opinion-office');
    const url = `/v1/accountability/${encodeURIComponent(record!.id)}/outcome`;
    const self = await put(url, { outcome: 'exempt', note: '本办自查' }, keys.office);
    expect([self.statusCode, self.json().detail]).toEqual([403, expect.stringContaining('须由其他协调单位处理')]);
    expect((await put(url, { outcome: 'circular', note: '通报舆情办' }, keys.leadership)).statusCode).toBe(200);
  });

  it('shows how late the task was in all once the unit acts', async () => {
    const ack = await h.dispatch.inject({
      method: 'POST',
      url: `/v1/incidents/${ids.nangang}/actions/acknowledge`,
      headers: { authorization: `Bearer ${keys.nangang}` },
      payload: {},
    });
    expect(ack.statusCode).toBe(200);
    const [, lapse] = await eventually(
      async () => {
        const rs = (await records(`?incident=${ids.nangang}`)).filter((r) => r.taskKey === 'acknowledge:district-230103');
        return rs.length === 2 && rs.every((r) => r.resolvedAt) && rs;
      },
      20_000,
      'the records resolved',
    );
    const lateBy = Date.parse(lapse!.resolvedAt!) - Date.parse((await get(`/v1/accountability/${encodeURIComponent(lapse!.id)}`)).json().dueAt);
    expect(lapse!.lateMs).toBe(lateBy);
    // Fixed once resolved: it no longer grows.
    await new Promise((r) => setTimeout(r, 300));
    expect((await get(`/v1/accountability/${encodeURIComponent(lapse!.id)}`)).json().lateMs).toBe(lateBy);
  });

  it('carries over, without a duty record, the lapses and escalations raised before the table existed (migration)', async () => {
    const migration = MIGRATIONS['2026-12-02T0104-accountability-records']!;
    await migration.down!(h.t.db);
    await migration.up(h.t.db);
    const carried = await h.t.db.selectFrom('accountabilityRecords').select(['id', 'cause', 'unitId', 'onDuty', 'outcome']).orderBy('id').execute();
    const alerts = await h.t.db
      .selectFrom('alerts')
      .select(['id', 'kind', 'unitId'])
      .where('kind', 'in', ['deadline_lapsed', 'escalation'])
      .orderBy('id')
      .execute();
    expect(alerts).toHaveLength(4);
    expect(carried).toEqual(
      alerts.map((a) => ({ id: a.id, cause: a.kind === 'escalation' ? 'escalated' : 'deadline_lapsed', unitId: a.unitId, onDuty: [], outcome: null })),
    );
  });

  it('is documented in the OpenAPI spec', async () => {
    const spec = (await get('/docs/json', null)).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/accountability', '/v1/accountability.csv', '/v1/accountability/{id}', '/v1/accountability/{id}/outcome']),
    );
  });
});
