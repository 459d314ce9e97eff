import {
  DISTRICTS,
  formatBeijing,
  LEAD_LABELS,
  METRIC_LABELS,
  ROLE_LABELS,
  TIER_LABELS,
  TOPIC_LABELS,
  type Actor,
  type Config,
  type IncidentEvent,
  type IncidentEventOf,
  type IncidentRow,
  type Metrics,
} from '@yuqing/shared';
import { incidentLinks } from '../incidents/incident.view';
import { timelineEntryView } from '../timeline/timeline.view';

/** Who took a step, as printed: the unit's name and the person's (or the key's) name. */
export function actorName(actor: Actor | undefined, names: ReadonlyMap<string, string>): string | null {
  if (!actor) return null;
  const unit = actor.unitId ? names.get(actor.unitId) : undefined;
  const who = actor.name ?? actor.id;
  return unit ? `${unit} ${who}` : who;
}

function metricValue(key: keyof Metrics, value: unknown): string {
  if (key === 'importantMedia') return value ? '是' : '否';
  if (key === 'negativeRatio' && typeof value === 'number') return `${Math.round(value * 100)}%`;
  return typeof value === 'number' ? value.toLocaleString('zh-CN') : String(value);
}

const ofType = <T extends IncidentEvent['type']>(events: readonly IncidentEvent[], type: T) =>
  events.filter((e): e is IncidentEventOf<T> & IncidentEvent => e.type === type);

/**
 * The opinion digest 《舆情摘报》 of an incident (plan §5) as a document: the
 * incident as received, its spread, the assessment and who it went to, the
 * office's digest text and proposed handling from the `digest_ready` event, the
 * director's sign-off, and the handling so far. Undefined until the digest exists.
 */
export function composeDigest(config: Config, incident: IncidentRow, events: readonly IncidentEvent[], names: ReadonlyMap<string, string>) {
  const ready = ofType(events, 'digest_ready').at(-1);
  if (!ready) return undefined;
  const assessed = ofType(events, 'assessed').at(-1);
  const dispatched = ofType(events, 'dispatched');
  const source = incident.source as { url?: string; outlet?: string; platform?: string; detectedAt?: string };
  const { metrics } = incident;
  const district = incident.districtCode ? (DISTRICTS[incident.districtCode] ?? incident.districtCode) : null;

  return {
    incidentId: incident.id,
    /** Beijing date and the incident's short reference, for filing. */
    reference: `${formatBeijing(ready.occurredAt).slice(0, 10)} · ${incident.id.slice(0, 8)}`,
    // The unit that wrote it (plan §5: the opinion office).
    issuer: (ready.data.actor?.unitId ? names.get(ready.data.actor.unitId) : undefined) ?? ROLE_LABELS.opinion_office,
    preparedAt: ready.occurredAt,
    preparedAtLocal: formatBeijing(ready.occurredAt),
    preparedBy: actorName(ready.data.actor, names),
    incident: {
      title: incident.title,
      summary: incident.summary,
      tier: ready.tier,
      tierLabel: TIER_LABELS[ready.tier],
      topicLabel: TOPIC_LABELS[incident.topic],
      districtName: district,
      source: {
        url: source.url ?? '',
        outlet: source.outlet ?? source.platform ?? null,
        detectedAtLocal: source.detectedAt ? formatBeijing(source.detectedAt) : null,
      },
      receivedAtLocal: formatBeijing(incident.createdAt),
      metrics: (Object.keys(METRIC_LABELS) as (keyof Metrics)[])
        .filter((k) => metrics[k] !== undefined && metrics[k] !== null)
        .map((k) => ({ key: k, label: METRIC_LABELS[k], value: metricValue(k, metrics[k]) })),
    },
    assessment: {
      tierLabel: TIER_LABELS[assessed?.tier ?? incident.tier],
      lead: assessed?.data.lead ?? null,
      leadLabel: assessed ? LEAD_LABELS[assessed.data.lead] : null,
      assignments: dispatched.flatMap((e) => e.data.assignments.map((a) => ({ unitId: a.unitId, unitName: a.unitName, roleLabel: ROLE_LABELS[a.role] }))),
      notified: [...new Set(dispatched.flatMap((e) => e.data.notify))].map((r) => ROLE_LABELS[r]),
    },
    text: ready.data.text,
    proposal: ready.data.proposal ?? null,
    signoff: ofType(events, 'approval_recorded')
      .filter((e) => e.data.taskKind === 'digest_signoff')
      .map((e) => ({
        roleLabel: ROLE_LABELS[e.data.approval.role],
        by: actorName(e.data.approval.actor, names),
        atLocal: formatBeijing(e.data.approval.at),
        comment: e.data.approval.comment ?? null,
      })),
    progress: events.map((e) => {
      const entry = timelineEntryView(e, names);
      return { occurredAtLocal: entry.occurredAtLocal, label: entry.label, text: entry.text };
    }),
    links: incidentLinks(config, incident),
  };
}

export type Digest = NonNullable<ReturnType<typeof composeDigest>>;
