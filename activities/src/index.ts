import type { Db } from '@yuqing/shared';
import { createIncidentActivities } from './incident/incident.activities';
import { createPolicyActivities } from './policy/policy.activities';
import { createRoutingActivities } from './routing/routing.activities';

export * from './incident/incident.activities';
export * from './policy/policy.activities';
export * from './routing/routing.activities';

export interface ActivityDeps {
  readonly db: Db;
  readonly onCommitted?: () => void;
}

/** Every activity the incident workflow calls, built once per worker from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIncidentActivities(deps),
    ...createPolicyActivities(deps),
    ...createRoutingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
