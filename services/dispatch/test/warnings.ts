/** Test helper: warns a unit of a fresh incident through the dispatch consumer's real path, and waits for the outcome. */
import type { DeliveryRow, IncidentEvent, TaskSnapshot } from '@yuqing/shared';
import { acceptTestIncident, dispatchedEvent, eventually, type TestDatabase } from '@yuqing/testkit';

/**
 * Records a fresh incident, projects its `dispatched` event to the unit (which
 * plans one delivery per channel of the unit) and answers the deliveries once
 * each is delivered or dead.
 */
export async function warnUnit(t: TestDatabase, project: (event: IncidentEvent) => Promise<void>, u: { id: string; name: string }): Promise<DeliveryRow[]> {
  const incident = await acceptTestIncident(t.db);
  const due = new Date(Date.now() + 30 * 60_000).toISOString();
  const task: TaskSnapshot = {
    key: `acknowledge:${u.id}`,
    kind: 'acknowledge',
    owner: 'responsible_department',
    unitId: u.id,
    status: 'open',
    mandatory: true,
    phase: 'handling',
    round: 1,
    openedAt: new Date().toISOString(),
    dueAt: due,
    overdue: false,
    approvalsNeeded: [],
    approvals: [],
    seq: 1,
  };
  const event = dispatchedEvent(incident, { unit: u, role: 'responsible_department', tasks: [task] });
  await project(event);
  return eventually(
    async () => {
      const rows = await t.db.selectFrom('deliveries').selectAll().where('eventId', '=', event.id).orderBy('channelId').execute();
      return rows.length > 0 && rows.every((r) => r.status === 'delivered' || r.status === 'dead') && rows;
    },
    15_000,
    'every delivery settled',
  );
}
