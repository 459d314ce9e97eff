import {
  CONTENT_FIELD_LABELS,
  DISPOSITION_LABELS,
  formatBeijing,
  RELEASE_FORM_LABELS,
  REPORT_KIND_LABELS,
  ROLE_LABELS,
  TASK_LABELS,
  type AlertRow,
  type Config,
  type Db,
  listReleaseChannels,
  type IncidentEvent,
  type IncidentEventOf,
  type IncidentRow,
  type TaskRow,
  alertView,
  taskView,
  WRITTEN_TASK_KINDS,
} from '@yuqing/shared';
import { actorName, composeDigest } from '../digest/digest';
import { incidentView } from '../incidents/incident.view';
import { fourFirstDelays } from '../stats/four-firsts';
import { fourFirsts, type FourFirstsRow } from '../stats/stats.repository';
import { loadIncidentHistory } from '../incidents/incident-history';
import { alertsOf, tasksOf } from '../incidents/incident.repository';
import { composeReview } from '../review/review';
import { timelineEntryView } from '../timeline/timeline.view';

const ofType = <T extends IncidentEvent['type']>(events: readonly IncidentEvent[], type: T) =>
  events.filter((e): e is IncidentEventOf<T> & IncidentEvent => e.type === type);

/**
 * The handling archive record (档案, plan §7.4) of one incident: everything the
 * system knows about it in one document — the incident, its timeline, tasks,
 * alerts held against units, approvals, releases, investigation reports, the
 * digest and the four firsts.
 */
export function composeArchive(input: {
  config: Config;
  incident: IncidentRow;
  events: readonly IncidentEvent[];
  tasks: readonly TaskRow[];
  alerts: readonly AlertRow[];
  firsts: FourFirstsRow | undefined;
  names: ReadonlyMap<string, string>;
  /** The bureau's release channels' names by id (a release names its channel by id). */
  channels?: ReadonlyMap<string, string>;
}) {
  const { config, incident, events, names } = input;
  const channels = input.channels ?? new Map<string, string>();
  return {
    incident: incidentView(config, incident),
    timeline: events.map((e) => timelineEntryView(e, names)),
    tasks: input.tasks.map((t) => taskView(t, names)),
    /**
     * Every version of the written work that is approved (the talking points'
     * wording, the response plan), who wrote it and when, and each return with
     * its reason: what was approved is one of these versions (plan §8).
     */
    writings: ofType(events, 'task_completed')
      .filter((e) => WRITTEN_TASK_KINDS.includes(e.data.taskKind))
      .map((e) => ({
        eventId: e.id,
        taskKey: e.data.taskKey,
        taskKind: e.data.taskKind,
        taskLabel: TASK_LABELS[e.data.taskKind],
        version: e.data.version ?? null,
        content: Object.entries(e.data.content ?? {}).map(([field, text]) => ({
          field,
          label: CONTENT_FIELD_LABELS[field as keyof typeof CONTENT_FIELD_LABELS],
          text,
        })),
        note: e.data.note ?? null,
        actor: e.data.actor ?? null,
        by: actorName(e.data.actor, names),
        at: e.occurredAt,
        atLocal: formatBeijing(e.occurredAt),
      })),
    returns: ofType(events, 'task_returned').map((e) => ({
      eventId: e.id,
      taskKey: e.data.taskKey,
      taskKind: e.data.taskKind,
      taskLabel: TASK_LABELS[e.data.taskKind],
      reason: e.data.reason,
      by: actorName(e.data.actor, names),
      at: e.occurredAt,
      atLocal: formatBeijing(e.occurredAt),
    })),
    alerts: input.alerts.map((a) => alertView(a, names)),
    approvals: ofType(events, 'approval_recorded').map((e) => ({
      eventId: e.id,
      taskKey: e.data.taskKey,
      taskKind: e.data.taskKind,
      taskLabel: TASK_LABELS[e.data.taskKind],
      role: e.data.approval.role,
      roleLabel: ROLE_LABELS[e.data.approval.role],
      actor: e.data.approval.actor,
      by: actorName(e.data.approval.actor, names),
      /** The version of the written work approved (talking points, response plan). */
      version: e.data.version ?? null,
      at: e.data.approval.at,
      atLocal: formatBeijing(e.data.approval.at),
      comment: e.data.approval.comment ?? null,
      complete: e.data.complete,
    })),
    releases: ofType(events, 'released').map((e) => ({
      eventId: e.id,
      form: e.data.form,
      formLabel: RELEASE_FORM_LABELS[e.data.form],
      summary: e.data.summary,
      url: e.data.url ?? null,
      channel: e.data.channel ?? null,
      channelName: e.data.channel ? (channels.get(e.data.channel) ?? e.data.channel) : null,
      talkingPointsVersion: e.data.talkingPointsVersion ?? null,
      /** The approved talking points the release rests on (plan §8: nothing unapproved is released). */
      approvals: e.data.approvals.map((a) => ({ role: a.role, roleLabel: ROLE_LABELS[a.role], actor: a.actor, by: actorName(a.actor, names), at: a.at })),
      actor: e.data.actor ?? null,
      by: actorName(e.data.actor, names),
      at: e.occurredAt,
      atLocal: formatBeijing(e.occurredAt),
    })),
    reports: ofType(events, 'report_submitted').map((e) => ({
      eventId: e.id,
      unitId: e.data.unitId,
      unitName: names.get(e.data.unitId) ?? null,
      kind: e.data.report.kind,
      kindLabel: REPORT_KIND_LABELS[e.data.report.kind],
      findings: e.data.report.findings,
      dispositions: e.data.report.dispositions.map((d) => ({ code: d, label: DISPOSITION_LABELS[d] })),
      measures: e.data.report.measures ?? null,
      result: e.data.report.result ?? null,
      at: e.occurredAt,
      atLocal: formatBeijing(e.occurredAt),
    })),
    digest: composeDigest(config, incident, events, names) ?? null,
    review: composeReview(incident, events, names) ?? null,
    fourFirsts: input.firsts ? { procedureBasis: input.firsts.procedureBasis, delaysMs: fourFirstDelays(input.firsts) } : null,
    generatedAt: new Date().toISOString(),
  };
}

/** One incident's archive read from the database; undefined for an unknown incident. */
export async function loadArchive(db: Db, config: Config, names: () => Promise<ReadonlyMap<string, string>>, id: string) {
  const [history, tasks, alerts, firsts, unitNames, channels] = await Promise.all([
    loadIncidentHistory(db, id),
    tasksOf(db, id),
    alertsOf(db, id),
    fourFirsts(db, { incidentId: id }),
    names(),
    listReleaseChannels(db),
  ]);
  if (!history) return undefined;
  return composeArchive({
    config,
    incident: history.incident,
    events: history.events,
    tasks,
    alerts,
    firsts: firsts[0],
    names: unitNames,
    channels: new Map(channels.map((c) => [c.id, c.name])),
  });
}
