import { applyOnce, type Db, type IncidentEvent } from '@yuqing/shared';
import { insertTimelineEntry } from '../timeline/timeline.repository';

export const REPORTING_CONSUMER = 'reporting';

/** Every event becomes one timeline entry; the event id keeps it to one. */
export function createTimelineProjection(db: Db) {
  return async (event: IncidentEvent): Promise<void> => {
    await applyOnce(db, REPORTING_CONSUMER, event, (trx) => insertTimelineEntry(trx, event));
  };
}
