import { applyOnce, type Db, type IncidentEvent } from '@yuqing/shared';
import { setIncidentTier, upsertTasks } from '../tasks/task.repository';

export const DISPATCH_CONSUMER = 'dispatch';

/**
 * Keeps the `tasks` read model: every event may carry the tasks it changed
 * (`dispatched` brings the new ones); a tier change relabels the incident's tasks.
 */
export function createTaskProjection(db: Db) {
  return async (event: IncidentEvent): Promise<void> => {
    await applyOnce(db, DISPATCH_CONSUMER, event, async (trx) => {
      if (event.type === 'tier_changed') await setIncidentTier(trx, event.incidentId, event.data.to);
      if (event.data.tasks?.length) await upsertTasks(trx, event.incidentId, event.tier, event.data.tasks);
    });
  };
}
