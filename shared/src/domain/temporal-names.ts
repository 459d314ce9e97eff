import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Names fixed by ARCHITECTURE.md that operators and other systems rely on. */
export const TEMPORAL_NAMESPACE = 'default';
export const INCIDENT_TASK_QUEUE = 'incidents';
export const INCIDENT_WORKFLOW_TYPE = 'incidentWorkflow';

/** `incident-<incidentId>`: the id operators search for in the Web UI. */
export function incidentWorkflowId(incidentId: string): string {
  return `incident-${incidentId}`;
}

/** Custom search attributes; registered on the server by `infra/stack.sh`. */
export const SEARCH_ATTRIBUTES = {
  tier: defineSearchAttributeKey('IncidentTier', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD),
  district: defineSearchAttributeKey('District', SearchAttributeType.KEYWORD),
  topic: defineSearchAttributeKey('Topic', SearchAttributeType.KEYWORD),
  overdue: defineSearchAttributeKey('Overdue', SearchAttributeType.BOOL),
} as const;

/** The Web UI page of a workflow: `<TEMPORAL_UI_URL>/namespaces/<ns>/workflows/<id>`. */
export function workflowUiUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
