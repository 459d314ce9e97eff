import { DISTRICTS, type Tier } from '../domain/vocabulary';
import { TIER_LABELS, TOPIC_LABELS } from '../domain/labels.zh';
import type { AssessmentReason, Metrics } from '../domain/assessment';
import { incidentWorkflowId } from '../domain/temporal-names';
import type { IncidentInput } from './incident.schema';

/** What an incident's workflow starts with: the incident as reported, its metrics and its assessment. */
export type IncidentWorkflowInput = Readonly<Pick<IncidentInput, 'title' | 'summary' | 'source' | 'topic' | 'district' | 'metrics' | 'flags'>> & {
  readonly incidentId: string;
  readonly tier: Tier;
  readonly reasons: readonly AssessmentReason[];
  readonly receivedAt: string;
  readonly clientId: string;
};

/** What the outbox keeps to start an incident's workflow once Temporal answers. */
export interface StartWorkflowCommand {
  readonly workflowId: string;
  readonly input: IncidentWorkflowInput;
  readonly staticSummary: string;
  readonly staticDetails: string;
}

/**
 * The command that starts an incident's workflow, with the Web UI's summary and
 * details (tier, source, district, topic, the rules that set the tier).
 */
export function startWorkflowCommand(input: {
  readonly incidentId: string;
  readonly report: Pick<IncidentInput, 'title' | 'summary' | 'source' | 'topic' | 'district' | 'flags'>;
  readonly metrics: Metrics;
  readonly tier: Tier;
  readonly reasons: readonly AssessmentReason[];
  readonly receivedAt: string;
  readonly clientId: string;
}): StartWorkflowCommand {
  const { report: r, tier, reasons } = input;
  return {
    workflowId: incidentWorkflowId(input.incidentId),
    input: {
      incidentId: input.incidentId,
      title: r.title,
      ...(r.summary ? { summary: r.summary } : {}),
      source: r.source,
      topic: r.topic,
      ...(r.district ? { district: r.district } : {}),
      metrics: input.metrics,
      flags: r.flags,
      tier,
      reasons,
      receivedAt: input.receivedAt,
      clientId: input.clientId,
    },
    staticSummary: `【${TIER_LABELS[tier]}】${r.title}`.slice(0, 200),
    staticDetails: [
      `**来源** ${r.source.outlet ?? r.source.platform ?? ''} ${r.source.url}`,
      `**区县** ${r.district ? DISTRICTS[r.district] : '未指明'}`,
      `**领域** ${TOPIC_LABELS[r.topic]}`,
      `**定级依据** ${reasons.map((x) => `${x.rule}→${TIER_LABELS[x.tier]}`).join(';') || '默认'}`,
    ].join('\n\n'),
  };
}
