import { applyEventsOnce, type Db, type EventHandler } from '@yuqing/shared';
import { recordAccountability } from '../accountability/accountability.repository';
import { insertTimelineEntries } from '../timeline/timeline.repository';

export const REPORTING_CONSUMER = 'reporting';

/**
 * Every event becomes one timeline entry, and each lapse and escalation an
 * accountability record too, in the same transaction; the event id keeps each to one.
 */
export function createTimelineProjection(db: Db): EventHandler {
  return async (events) => {
    await applyEventsOnce(db, REPORTING_CONSUMER, events, async (trx, fresh) => {
      await insertTimelineEntries(trx, fresh);
      for (const event of fresh) await recordAccountability(trx, event);
    });
  };
}
