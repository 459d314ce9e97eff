import type { Db } from '@yuqing/shared';
import { createIncidentActivities } from './incident/incident.activities';

export * from './incident/incident.activities';
export * from './policy/policy-snapshot';
export * from './routing/routing';

export interface ActivityDeps {
  readonly db: Db;
  readonly onCommitted?: () => void;
}

/** Every activity the incident workflow calls, built once per worker from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return createIncidentActivities(deps);
}

export type Activities = ReturnType<typeof createActivities>;
