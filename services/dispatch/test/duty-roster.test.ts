/** The duty roster across units (值班表, GET /v1/duty-roster) against PostgreSQL: who is on duty now and the shifts ahead, and who sees which units. */
import { type App } from '@yuqing/http-kit';
import { loadConfig } from '@yuqing/shared';
import { createTestDatabase, createTestKey, startDispatchApp, type TestDatabase } from '@yuqing/testkit';

let t: TestDatabase;
let app: App;
const keys = {} as Record<'admin' | 'office' | 'nangang' | 'system' | 'reader', string>;

beforeAll(async () => {
  t = await createTestDatabase();
  keys.admin = await createTestKey(t.db, { scopes: ['admin', 'directory:write', 'reports:read'] });
  keys.office = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'opinion-office', roles: ['opinion_office'] });
  keys.nangang = await createTestKey(t.db, { scopes: ['tasks:act', 'reports:read'], unitId: 'district-230103', roles: ['district_bureau'] });
  keys.system = await createTestKey(t.db, { scopes: ['reports:read'] });
  app = await startDispatchApp(t.db, loadConfig({}));
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

const call = (method: 'GET' | 'POST', url: string, key?: string, payload?: unknown) =>
  app.inject({ method, url, headers: key ? { authorization: `Bearer ${key}` } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });

interface RosterUnit {
  unitId: string;
  unitName: string;
  unitKind: string;
  unitKindLabel: string;
  onDuty: { personId: string; name: string; via: string; until?: string }[];
  shifts: { id: string; personId: string; personName?: string; startsAt: string; endsAt: string; note: string | null }[];
}
const roster = async (query: string, key: string) =>
  (await call('GET', `/v1/duty-roster${query}`, key)).json<{ asOf: string; until: string; items: RosterUnit[] }>();
const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe('GET /v1/duty-roster', () => {
  it('gives the office every unit: who is on duty now (a shift beats standing duty) and the shifts within the horizon', async () => {
    await call('POST', '/v1/persons', keys.admin, { id: 'wang-office', unitId: 'opinion-office', name: '王五', title: '值班科员', roles: ['opinion_office'] });
    await call('POST', '/v1/persons', keys.admin, { id: 'zhao-office', unitId: 'opinion-office', name: '赵六', roles: ['opinion_office'] });
    const now = await call('POST', '/v1/units/opinion-office/duty-shifts', keys.admin, {
      personId: 'wang-office',
      startsAt: hours(-1),
      endsAt: hours(7),
      note: '白班',
    });
    expect(now.statusCode).toBe(201);
    const next = await call('POST', '/v1/units/opinion-office/duty-shifts', keys.admin, { personId: 'zhao-office', startsAt: hours(7), endsAt: hours(19) });
    const far = await call('POST', '/v1/units/opinion-office/duty-shifts', keys.admin, {
      personId: 'zhao-office',
      startsAt: hours(24 * 5),
      endsAt: hours(24 * 5 + 8),
    });
    await call('POST', '/v1/units/opinion-office/duty-shifts', keys.admin, { personId: 'wang-office', startsAt: hours(-30), endsAt: hours(-20) });

    const all = await roster('', keys.office);
    // Every unit of the directory, in the directory's order.
    const units = (await call('GET', '/v1/units', keys.office)).json<{ items: { id: string }[] }>().items;
    expect(all.items.map((u) => u.unitId)).toEqual(units.map((u) => u.id));
    const officeUnit = all.items.find((u) => u.unitId === 'opinion-office')!;
    expect(officeUnit).toMatchObject({ unitName: expect.any(String), unitKind: 'office', unitKindLabel: '舆情办' });
    expect(officeUnit.onDuty).toEqual([{ personId: 'wang-office', name: '王五', title: '值班科员', via: 'roster', until: expect.any(String) }]);
    expect(Math.abs(Date.parse(officeUnit.onDuty[0]!.until!) - Date.parse(hours(7)))).toBeLessThan(60_000);
    // Ended shifts are gone; the default horizon is 7 days.
    expect(officeUnit.shifts.map((s) => s.id)).toEqual([now.json().id, next.json().id, far.json().id]);
    expect(officeUnit.shifts[0]).toMatchObject({ personName: '王五', note: '白班' });
    // A unit without shifts: its standing duty, as /v1/units/:id/duty says.
    const nangang = all.items.find((u) => u.unitId === 'district-230103')!;
    const single = (await call('GET', '/v1/units/district-230103/duty', keys.office)).json<{ onDuty: unknown[] }>();
    expect(nangang.onDuty).toEqual(single.onDuty);
    expect(nangang.onDuty).toEqual([expect.objectContaining({ personId: 'duty-district-230103', via: 'standing' })]);

    // A shorter horizon leaves out the shift in five days.
    const soon = await roster('?days=1', keys.office);
    expect(soon.items.find((u) => u.unitId === 'opinion-office')!.shifts.map((s) => s.id)).toEqual([now.json().id, next.json().id]);
    expect(Date.parse(soon.until) - Date.parse(soon.asOf)).toBe(86_400_000);
  });

  it('agrees with the one-unit answer for every unit', async () => {
    const all = await roster('?days=31', keys.admin);
    for (const u of all.items.filter((x) => ['office', 'district_bureau', 'leadership'].includes(x.unitKind))) {
      const single = (await call('GET', `/v1/units/${u.unitId}/duty`, keys.admin)).json<{ onDuty: unknown[] }>();
      expect([u.unitId, u.onDuty]).toEqual([u.unitId, single.onDuty]);
    }
  });

  it('gives a district its own unit and stations, and refuses another unit or a key without one', async () => {
    const own = await roster('', keys.nangang);
    expect(own.items.map((u) => u.unitId)).toEqual(['district-230103', 'station-230103-1', 'station-230103-2']);
    const office = await call('GET', '/v1/duty-roster?unit=opinion-office', keys.nangang);
    expect(office.statusCode).toBe(403);
    expect(office.json<{ detail: string }>().detail).toMatch(/^只能查看本单位情况/);
    const none = await call('GET', '/v1/duty-roster', keys.system);
    expect(none.statusCode).toBe(403);
    expect((await call('GET', '/v1/duty-roster')).statusCode).toBe(401);
    expect((await call('GET', '/v1/duty-roster?unit=nowhere', keys.office)).statusCode).toBe(404);
    const bad = await call('GET', '/v1/duty-roster?days=90', keys.office);
    expect(bad.statusCode).toBe(400);
  });
});
