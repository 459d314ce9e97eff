import {
  ALERT_KIND_LABELS,
  DISTRICTS,
  formatBeijing,
  INCIDENT_STATUS_LABELS,
  ROLE_LABELS,
  TASK_LABELS,
  TASK_STATUS_LABELS,
  TIER_LABELS,
  TOPIC_LABELS,
  workflowUiUrl,
  type AlertKind,
  type AlertRow,
  type Config,
  type DistrictCode,
  type IncidentRow,
  type IncidentStatus,
  type Role,
  type TaskKind,
  type TaskRow,
  type TaskStatus,
  type Tier,
  type Topic,
} from '@yuqing/shared';

const iso = (d: Date | null) => d?.toISOString() ?? null;
const local = (d: Date | null) => (d ? formatBeijing(d) : null);

/** Where the console and other callers find more about an incident. */
export function incidentLinks(config: Config, row: Pick<IncidentRow, 'id' | 'workflowId'>) {
  const base = `${config.REPORTING_PUBLIC_URL}/v1/incidents/${row.id}`;
  return {
    timeline: `${base}/timeline`,
    archive: `${base}/archive`,
    digest: `${base}/digest`,
    digestHtml: `${base}/digest.html`,
    temporalUi: workflowUiUrl(config.TEMPORAL_UI_URL, config.TEMPORAL_NAMESPACE, row.workflowId),
  };
}

/** An incident with Chinese labels beside its codes and its times also in Beijing time. */
export function incidentView(config: Config, row: IncidentRow) {
  const source = row.source as { url?: string; outlet?: string; platform?: string; detectedAt?: string };
  return {
    id: row.id,
    title: row.title,
    summary: row.summary,
    tier: row.tier as Tier,
    tierLabel: TIER_LABELS[row.tier as Tier],
    status: row.status as IncidentStatus,
    statusLabel: INCIDENT_STATUS_LABELS[row.status as IncidentStatus],
    overdue: row.overdue,
    topic: row.topic as Topic,
    topicLabel: TOPIC_LABELS[row.topic as Topic],
    district: row.districtCode,
    districtName: row.districtCode ? (DISTRICTS[row.districtCode as DistrictCode] ?? row.districtCode) : null,
    source: { url: source.url ?? '', outlet: source.outlet ?? null, platform: source.platform ?? null, detectedAt: source.detectedAt ?? null },
    metrics: row.metrics,
    flags: row.flags,
    policyVersion: row.policyVersion,
    workflowId: row.workflowId,
    createdAt: row.createdAt.toISOString(),
    createdAtLocal: formatBeijing(row.createdAt),
    updatedAt: row.updatedAt.toISOString(),
    closedAt: iso(row.closedAt),
    archivedAt: iso(row.archivedAt),
    links: incidentLinks(config, row),
  };
}

/** A task with its labels and the unit's name; `seq` orders snapshots of the same task. */
export function taskView(t: TaskRow, names: ReadonlyMap<string, string>) {
  return {
    key: t.key,
    kind: t.kind,
    label: TASK_LABELS[t.kind as TaskKind] ?? t.kind,
    ownerRole: t.ownerRole,
    ownerLabel: ROLE_LABELS[t.ownerRole as Role] ?? t.ownerRole,
    unitId: t.unitId,
    unitName: t.unitId ? (names.get(t.unitId) ?? null) : null,
    status: t.status,
    statusLabel: TASK_STATUS_LABELS[t.status as TaskStatus] ?? t.status,
    mandatory: t.mandatory,
    round: t.round,
    openedAt: iso(t.openedAt),
    dueAt: iso(t.dueAt),
    dueAtLocal: local(t.dueAt),
    doneAt: iso(t.doneAt),
    overdue: t.overdue,
    lapsedAt: iso(t.lapsedAt),
    approvalsNeeded: t.approvalsNeeded,
    approvals: t.approvals,
    cancelReason: t.cancelReason,
    seq: t.seq,
  };
}

/** An alert held against the accountable unit (plan §8: every lapse is on record). */
export function alertView(a: AlertRow, names: ReadonlyMap<string, string>) {
  return {
    id: a.id,
    kind: a.kind,
    kindLabel: ALERT_KIND_LABELS[a.kind as AlertKind] ?? a.kind,
    taskKey: a.taskKey,
    taskKind: a.taskKind,
    taskLabel: TASK_LABELS[a.taskKind as TaskKind] ?? a.taskKind,
    stage: a.stage,
    accountableRole: a.accountableRole,
    accountableRoleLabel: ROLE_LABELS[a.accountableRole as Role] ?? a.accountableRole,
    accountableUnitId: a.accountableUnitId,
    accountableUnitName: a.accountableUnitId ? (names.get(a.accountableUnitId) ?? null) : null,
    notified: a.notified,
    dueAt: a.dueAt.toISOString(),
    raisedAt: a.raisedAt.toISOString(),
    raisedAtLocal: formatBeijing(a.raisedAt),
    lateMs: a.lateMs,
    resolvedAt: iso(a.resolvedAt),
  };
}
