import { incidentView as sharedIncidentView, MATCH_RULE_LABELS, REPORT_OUTCOME_LABELS, type Config, type IncidentRow, type ReportRow } from '@yuqing/shared';
import type { AcceptedReport } from '../reports/report.service';

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

/** One report of an incident, as its metrics history lists it, with the rule and score that tied it there. */
export function reportView(r: ReportRow) {
  const metrics = {
    ...(r.reportCount !== null ? { reportCount: r.reportCount } : {}),
    ...(r.reach !== null ? { reach: r.reach } : {}),
    ...(r.spreadPerHour !== null ? { spreadPerHour: r.spreadPerHour } : {}),
    ...(r.negativeRatio !== null ? { negativeRatio: r.negativeRatio } : {}),
    ...(r.importantMedia !== null ? { importantMedia: r.importantMedia } : {}),
  };
  return {
    id: r.id,
    receivedAt: r.receivedAt.toISOString(),
    outcome: r.outcome,
    outcomeLabel: REPORT_OUTCOME_LABELS[r.outcome],
    matchRule: r.matchRule,
    matchRuleLabel: MATCH_RULE_LABELS[r.matchRule],
    matchScore: r.matchScore,
    externalId: r.externalId,
    eventKey: r.eventKey,
    source: r.source,
    title: r.title,
    summary: r.summary,
    district: r.districtCode,
    metrics,
    /** The incident's spread per hour just after this report. */
    incidentSpreadPerHour: r.incidentSpreadPerHour,
    flags: r.flags,
    suggestedTier: r.suggestedTier,
  };
}

/** The answer of `POST /v1/reports` (ARCHITECTURE.md, correlation contract). */
export function reportAcceptedView(config: Config, r: AcceptedReport) {
  return {
    reportId: r.reportId,
    incidentId: r.incident.id,
    outcome: r.outcome,
    tier: r.tier,
    match: r.match,
    links: { ...incidentLinks(config, r.incident), reports: `${config.INTAKE_PUBLIC_URL}/v1/incidents/${r.incident.id}/reports` },
  };
}

/** An incident as `GET /v1/incidents/:id` shows it: the shared view with intake's links. */
export function incidentView(config: Config, row: IncidentRow) {
  return { ...sharedIncidentView(row), links: incidentLinks(config, row) };
}
