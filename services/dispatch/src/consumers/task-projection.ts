import { applyEventsOnce, type Db, type EventHandler } from '@yuqing/shared';
import type { DeliveryPlanner } from '../notifications/planner';
import { setIncidentTier, upsertTasks } from '../tasks/task.repository';
import { recordWriting } from '../writings/writing.repository';

export const DISPATCH_CONSUMER = 'dispatch';

export interface TaskProjectionOptions {
  /** Records the notifications an event calls for, in the same transaction. */
  readonly plan?: DeliveryPlanner;
  /** After a commit that queued deliveries: wakes the delivery worker. */
  readonly onDeliveriesQueued?: () => void;
}

/**
 * The `dispatch` consumer. Keeps the `tasks` read model: every event may carry the
 * tasks it changed (`dispatched` brings the new ones); a tier change relabels the
 * incident's tasks; the written work it forwards is kept in `writings`. With a
 * planner it also records, in the same transaction, the deliveries the event
 * calls for: it stays fast because sending happens elsewhere.
 */
export function createTaskProjection(db: Db, options: TaskProjectionOptions = {}): EventHandler {
  return async (events) => {
    let queued = 0;
    await applyEventsOnce(db, DISPATCH_CONSUMER, events, async (trx, fresh) => {
      for (const event of fresh) {
        if (event.type === 'tier_changed') await setIncidentTier(trx, event.incidentId, event.data.to);
        if (event.data.tasks?.length) await upsertTasks(trx, event.incidentId, event.tier, event.data.tasks);
        // Before planning: a sign-off or a report upward forwards the text recorded here.
        await recordWriting(trx, event);
        if (options.plan) queued += await options.plan(trx, event);
      }
    });
    if (queued > 0) options.onDeliveriesQueued?.();
  };
}
