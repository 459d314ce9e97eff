import type { Db, IncidentEvent, IncidentRow } from '@yuqing/shared';
import { listTimeline } from '../timeline/timeline.repository';
import { eventOfEntry } from '../timeline/timeline.view';
import { findIncident } from './incident.repository';

/** An incident row and the events its timeline recorded, in order; undefined if there is no such incident. */
export async function loadIncidentHistory(db: Db, incidentId: string): Promise<{ incident: IncidentRow; events: IncidentEvent[] } | undefined> {
  const [incident, rows] = await Promise.all([findIncident(db, incidentId), listTimeline(db, incidentId)]);
  return incident ? { incident, events: rows.map(eventOfEntry) } : undefined;
}
