/**
 * The activities that record what a workflow decided, against a real database: each
 * writes its events, their audit rows and the row changes in one statement, and a
 * retry of one whose first run committed (Temporal retries a local activity whose
 * answer was lost) changes nothing and counts nothing twice.
 */
import type { IncidentRow } from '@yuqing/shared';
import { acceptTestIncident, createTestDatabase, dispatchedEvent, type TestDatabase } from '@yuqing/testkit';
import { createIncidentActivities, resolveRouting, snapshotPolicy, type AlertRecord } from '../src';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const OFFICE = { id: 'office-zhang', kind: 'person' as const, name: '张三', unitId: 'opinion-office' };

const event = (incident: IncidentRow, seq: number, actor?: typeof OFFICE) => dispatchedEvent(incident, { seq, ...(actor ? { actor } : {}) });

const rowsOf = async (incidentId: string) => ({
  outbox: (await t.db.selectFrom('outbox').select('dedupeKey').where('kind', '=', 'event').where('dedupeKey', 'like', `incident-${incidentId}#%`).execute())
    .length,
  audit: await t.db
    .selectFrom('auditLog')
    .select(['action', 'actorId', 'actorKind', 'unitId', 'after'])
    .where('incidentId', '=', incidentId)
    .where('action', '=', 'incident.dispatched')
    .orderBy('id')
    .execute(),
  incident: await t.db.selectFrom('incidents').select(['status', 'tier', 'stateSeq', 'overdue']).where('id', '=', incidentId).executeTakeFirstOrThrow(),
  alerts: await t.db.selectFrom('alerts').select(['id', 'resolvedAt']).where('incidentId', '=', incidentId).orderBy('id').execute(),
});

describe('recording a workflow’s decisions', () => {
  it('records events, their audit rows and the row change at once, and a retry adds nothing', async () => {
    const incident = await acceptTestIncident(t.db);
    let committed = 0;
    const a = createIncidentActivities({ db: t.db, onCommitted: () => committed++ });
    const input = {
      incidentId: incident.id,
      events: [event(incident, 1), event(incident, 2, OFFICE)],
      incident: { status: 'handling' as const, tier: 'major' as const, seq: 2 },
    };
    await a.recordEvents(input);
    const first = await rowsOf(incident.id);
    expect(first.outbox).toBe(2);
    expect(first.audit.map((r) => [r.actorId, r.actorKind, r.unitId])).toEqual([
      ['system:workflow', 'system', null],
      [OFFICE.id, 'person', OFFICE.unitId],
    ]);
    expect(first.audit[0]!.after).toMatchObject({ eventId: input.events[0]!.id, tier: 'sensitive', tasks: [] });
    expect(first.incident).toMatchObject({ status: 'handling', tier: 'major', stateSeq: 2 });

    // The same call again, after the row moved on: no second audit row, no step back.
    await t.db.updateTable('incidents').set({ status: 'closed', stateSeq: 3 }).where('id', '=', incident.id).execute();
    await a.recordEvents(input);
    const again = await rowsOf(incident.id);
    expect([again.outbox, again.audit.length]).toEqual([2, 2]);
    expect(again.incident).toMatchObject({ status: 'closed', stateSeq: 3 });
    expect(committed).toBe(2);

    // An older change never overwrites a newer one, even with a new event.
    await a.recordEvents({ incidentId: incident.id, events: [event(incident, 3)], incident: { status: 'handling', seq: 3 } });
    const older = await rowsOf(incident.id);
    expect([older.outbox, older.audit.length, older.incident.status]).toEqual([3, 3, 'closed']);
    // Without events, the row change alone.
    await a.recordEvents({ incidentId: incident.id, events: [], incident: { status: 'archived', seq: 4 } });
    expect((await rowsOf(incident.id)).incident).toMatchObject({ status: 'archived', stateSeq: 4 });
  });

  it('stores an alert once with its event and audit row, and resolves it with the event of the task done', async () => {
    const incident = await acceptTestIncident(t.db);
    const stored: string[] = [];
    const a = createIncidentActivities({ db: t.db, onAlertStored: (alert) => stored.push(alert.id) });
    const now = new Date().toISOString();
    const alert: AlertRecord = {
      id: `${incident.id}:acknowledge:district-230103:lapsed`,
      incidentId: incident.id,
      taskKey: 'acknowledge:district-230103',
      taskKind: 'acknowledge',
      kind: 'deadline_lapsed',
      stage: null,
      owner: 'district_bureau',
      unitId: 'district-230103',
      notified: [],
      dueAt: now,
      raisedAt: now,
      lateMs: 12,
    };
    const raise = { alert, event: event(incident, 7), incident: { overdue: true, seq: 7 } };
    await a.raiseAlert(raise);
    await a.raiseAlert(raise);
    const after = await rowsOf(incident.id);
    expect(stored).toEqual([alert.id]);
    expect([after.outbox, after.audit.length, after.alerts.length]).toEqual([1, 1, 1]);
    expect(after.incident.overdue).toBe(true);
    expect(after.alerts[0]!.resolvedAt).toBeNull();

    await a.recordEvents({ incidentId: incident.id, events: [event(incident, 8, OFFICE)], resolveAlertsOf: ['acknowledge:district-230103', 'other:task'] });
    expect((await rowsOf(incident.id)).alerts[0]!.resolvedAt).not.toBeNull();
  });
});

describe('what a new incident reads first', () => {
  it('reads the newest policy and the routing rules in one statement, as the separate reads give them, and sees a rule changed since', async () => {
    const a = createIncidentActivities({ db: t.db });
    const input = { topic: 'pricing' as const, district: '230103' as const };
    const first = await a.prepareIncident(input);
    expect(first.policy).toEqual(await snapshotPolicy(t.db, input.district));
    expect(first.routing).toEqual(await resolveRouting(t.db, input));
    expect(first.routing.department.role).toBe('responsible_department');
    expect(first.routing.districtBureau?.role).toBe('district_bureau');
    expect(first.routing.roleUnits.opinion_office).toBeDefined();

    const other = first.routing.department.unitId === 'dept-consumer' ? 'dept-food-safety' : 'dept-consumer';
    await t.db.updateTable('routingRules').set({ unitId: other }).where('kind', '=', 'topic').where('match', '=', 'pricing').execute();
    const after = await a.prepareIncident(input);
    expect(after.routing.department.unitId).toBe(other);
    expect(after.routing.roleUnits.responsible_department).toBe(other);
  });
});
