import { incidentView as sharedIncidentView, type Config, type IncidentRow, type ReportRow } from '@yuqing/shared';

/** Where a caller finds an incident: here, its timeline, and its workflow in the Temporal Web UI. */
export function incidentLinks(config: Config, incident: Pick<IncidentRow, 'id' | 'workflowId'>) {
  return {
    self: `${config.INTAKE_PUBLIC_URL}/v1/incidents/${incident.id}`,
    timeline: `${config.REPORTING_PUBLIC_URL}/v1/incidents/${incident.id}/timeline`,
    temporalUi: `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(incident.workflowId)}`,
  };
}

/** The 202/200 answer of intake (ARCHITECTURE.md, intake contract). */
export function acceptedView(config: Config, row: IncidentRow) {
  return { id: row.id, tier: row.tier, status: row.status, workflowId: row.workflowId, links: incidentLinks(config, row) };
}

/** One report of an incident, as its metrics history lists it. */
export function reportView(r: ReportRow) {
  return {
    id: r.id,
    receivedAt: r.receivedAt.toISOString(),
    outcome: r.outcome,
    matchRule: r.matchRule,
    matchScore: r.matchScore,
    externalId: r.externalId,
    source: r.source,
    title: r.title,
    metrics: r.metrics,
    flags: r.flags,
    suggestedTier: r.suggestedTier,
  };
}

/** An incident as `GET /v1/incidents/:id` shows it: the shared view with intake's links. */
export function incidentView(config: Config, row: IncidentRow) {
  return { ...sharedIncidentView(row), links: incidentLinks(config, row) };
}
