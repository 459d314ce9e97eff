import { applyEventsOnce, type Db, type EventHandler } from '@yuqing/shared';
import { insertTimelineEntry } from '../timeline/timeline.repository';

export const REPORTING_CONSUMER = 'reporting';

/** Every event becomes one timeline entry; the event id keeps it to one. */
export function createTimelineProjection(db: Db): EventHandler {
  return async (events) => {
    await applyEventsOnce(db, REPORTING_CONSUMER, events, (trx, event) => insertTimelineEntry(trx, event));
  };
}
