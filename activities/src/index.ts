import { createCorrelationActivities } from './correlation/correlation.activities';
import { createIncidentActivities, type IncidentActivityDeps } from './incident/incident.activities';

export * from './incident/incident.activities';
export * from './correlation/correlation.activities';
export * from './policy/policy-snapshot';
export * from './routing/routing';

/** Every activity the incident workflow calls, built once per worker from its dependencies. */
export function createActivities(deps: IncidentActivityDeps) {
  const incident = createIncidentActivities(deps);
  return {
    ...incident,
    ...createCorrelationActivities(deps),
    /**
     * The old name of `recordEvents`, for workflows that started before it was
     * renamed (their histories call it; see the `record-events` patch in
     * workflows/src/incident/incident-recorder.ts). Remove once none of them runs.
     */
    publishEvents: (...args: Parameters<typeof incident.recordEvents>) => incident.recordEvents(...args),
  };
}

export type Activities = ReturnType<typeof createActivities>;
