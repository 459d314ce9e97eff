import {
  CONTENT_FIELD_LABELS,
  formatBeijing,
  INCIDENT_STATUS_LABELS,
  TASK_CONTENT,
  TIER_LABELS,
  TOPIC_LABELS,
  DISTRICTS,
  type IncidentEvent,
  type IncidentEventOf,
  type IncidentRow,
} from '@yuqing/shared';
import { actorName } from '../digest/digest';

/**
 * The post-incident review 总结评估 (plan §7(四)): the five parts the opinion
 * office recorded when it completed the `review` task (起因, 性质, 影响, 责任,
 * 经验教训), who wrote it and when, with the incident it is about. Undefined
 * until the review is done.
 */
export function composeReview(incident: IncidentRow, events: readonly IncidentEvent[], names: ReadonlyMap<string, string>) {
  const done = events.filter((e): e is IncidentEventOf<'task_completed'> & IncidentEvent => e.type === 'task_completed' && e.data.taskKind === 'review').at(-1);
  if (!done) return undefined;
  const content = done.data.content ?? {};
  const closed = events.filter((e) => e.type === 'closed').at(-1);
  return {
    incidentId: incident.id,
    title: incident.title,
    tier: incident.tier,
    tierLabel: TIER_LABELS[incident.tier],
    topicLabel: TOPIC_LABELS[incident.topic],
    districtName: incident.districtCode ? (DISTRICTS[incident.districtCode] ?? incident.districtCode) : null,
    statusLabel: INCIDENT_STATUS_LABELS[incident.status],
    receivedAtLocal: formatBeijing(incident.createdAt),
    closedAtLocal: closed ? formatBeijing(closed.occurredAt) : null,
    closedReason: closed?.type === 'closed' ? closed.data.reason : null,
    /** The five parts in the plan's order; a part not written is null. */
    parts: (TASK_CONTENT.review ?? []).map((field) => ({ field, label: CONTENT_FIELD_LABELS[field], text: content[field] ?? null })),
    note: done.data.note ?? null,
    by: actorName(done.data.actor, names),
    at: done.occurredAt,
    atLocal: formatBeijing(done.occurredAt),
  };
}

export type Review = NonNullable<ReturnType<typeof composeReview>>;
