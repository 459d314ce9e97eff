/** An incident's reports for the console (GET /v1/incidents/:id/reports on reporting) against PostgreSQL: what the office reads before a split. */
import { correlationRules, ReportService } from '@yuqing/intake';
import { loadConfig, ReportInputSchema } from '@yuqing/shared';
import { createServer, type App } from '@yuqing/http-kit';
import { acceptTestIncident, createTestDatabase, createTestKey, MONITORING, sampleIncident, testLogger, uniqueToken, type TestDatabase } from '@yuqing/testkit';
import { LiveFeed, reportingApp } from '../src/app';

let t: TestDatabase;
let app: App;
const keys = {} as Record<'office' | 'nangang' | 'daoli' | 'noScope', string>;

beforeAll(async () => {
  t = await createTestDatabase();
  keys.office = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.daoli = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230102', roles: ['district_bureau'] });
  keys.noScope = await createTestKey(t.db, { scopes: ['tasks:act'], unitId: 'opinion-office', roles: ['opinion_office'] });
  const config = loadConfig({ REPORTING_PUBLIC_URL: 'http://reporting.test' });
  app = createServer({ log: testLogger('reporting'), bodyLimit: config.BODY_LIMIT_BYTES });
  await app.register(reportingApp, { db: t.db, config, natsConnected: () => true, live: new LiveFeed(), liveWatching: () => true });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

const get = (url: string, key?: string) => app.inject({ url, headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('GET /v1/incidents/:id/reports', () => {
  it('lists the reports oldest first, with what each did and the rule that tied it to the incident', async () => {
    const eventKey = `evt-${uniqueToken()}`;
    const reports = new ReportService(t.db, correlationRules(t.db));
    const sighting = (title: string, url: string, reach: number) =>
      ReportInputSchema.parse({
        ...sampleIncident({ title }),
        eventKey,
        source: { url, platform: 'douyin', outlet: '抖音', externalId: `mon-${uniqueToken()}` },
        metrics: { reach },
      });
    const first = await reports.accept(MONITORING, sighting('南岗区某火锅店被曝使用地沟油', `https://douyin.example.com/${uniqueToken()}`, 10_000), {
      mode: 'correlate',
    });
    const second = await reports.accept(MONITORING, sighting('网传南岗区火锅店地沟油 顾客质疑', `https://douyin.example.com/${uniqueToken()}`, 20_000), {
      mode: 'correlate',
    });
    expect(second.incident.id).toBe(first.incident.id);

    const res = await get(`/v1/incidents/${first.incident.id}/reports`, keys.office);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ incidentId: string; items: Record<string, unknown>[] }>();
    expect(body.incidentId).toBe(first.incident.id);
    expect(body.items).toEqual([
      expect.objectContaining({
        id: first.reportId,
        outcome: 'opened',
        outcomeLabel: expect.stringMatching(/[\u4e00-\u9fff]/),
        title: '南岗区某火锅店被曝使用地沟油',
        source: expect.objectContaining({ platform: 'douyin', outlet: '抖音' }),
        districtCode: '230103',
        reach: 10_000,
      }),
      expect.objectContaining({
        id: second.reportId,
        outcome: second.outcome,
        matchRule: 'event_key',
        matchRuleLabel: expect.stringMatching(/[\u4e00-\u9fff]/),
        reach: 20_000,
      }),
    ]);
  });

  it('answers only who may read the incident: another district gets 404, a key without reports:read 403', async () => {
    const incident = await acceptTestIncident(t.db, { title: '网传南岗区某商场电梯停运' });
    expect((await get(`/v1/incidents/${incident.id}/reports`, keys.nangang)).json<{ items: unknown[] }>().items).toHaveLength(1);
    expect((await get(`/v1/incidents/${incident.id}/reports`, keys.daoli)).statusCode).toBe(404);
    expect((await get(`/v1/incidents/${incident.id}/reports`, keys.noScope)).statusCode).toBe(403);
    expect((await get(`/v1/incidents/${incident.id}/reports`)).statusCode).toBe(401);
    expect((await get('/v1/incidents/not-an-id/reports', keys.office)).statusCode).toBe(400);
  });
});
