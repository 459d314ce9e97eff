import { compareTexts, textFeatures, type DistrictCode, type MatchRule, type TextComparison, type TextFeatures, type Topic } from '@yuqing/shared';
import type { CorrelationRules } from './correlation-policy';
import { incidentOfCallerId, liveIncidentOfEventKey, liveIncidentOfSourceUrl, textCandidates, type Exemplar } from './report.repository';

type Executor = Parameters<typeof textCandidates>[0];

/** A report as correlation sees it. */
export interface Sighting {
  readonly clientId: string;
  readonly externalId: string | undefined;
  readonly eventKey: string | undefined;
  readonly sourceUrl: string;
  readonly topic: Topic;
  readonly district: DistrictCode | undefined;
  readonly text: TextFeatures;
}

/** Why a report joins an incident: the rule that matched and its score (1 for an exact key). */
export interface Match {
  readonly incidentId: string;
  readonly rule: Exclude<MatchRule, 'opened' | 'split'>;
  readonly score: number;
  /** For a text match: what was compared with what. */
  readonly text?: TextComparison & { readonly exemplarId: string };
}

/** Exemplar texts by report id: a report's wording never changes, so its features are computed once per process. */
const features = new Map<string, TextFeatures>();
const MAX_CACHED = 20_000;

export function featuresOf(e: Pick<Exemplar, 'reportId' | 'title' | 'summary'>): TextFeatures {
  let f = features.get(e.reportId);
  if (!f) {
    if (features.size >= MAX_CACHED) features.delete(features.keys().next().value!);
    f = textFeatures(e.title, e.summary);
    features.set(e.reportId, f);
  }
  return f;
}

/** The best text match among exemplars, or undefined when none reaches the threshold. */
export function bestTextMatch(text: TextFeatures, exemplars: readonly Exemplar[], threshold: number): Match | undefined {
  let best: Match | undefined;
  for (const e of exemplars) {
    const c = compareTexts(text, featuresOf(e));
    if (c.score >= threshold && (!best || c.score > best.score))
      best = { incidentId: e.incidentId, rule: 'text', score: c.score, text: { ...c, exemplarId: e.reportId } };
  }
  return best;
}

/**
 * Finds the incident a report belongs to, by the rules in order (ARCHITECTURE.md,
 * correlation contract): the caller's own id again (the same post measured again);
 * the caller's `eventKey`; the same source URL; then close Chinese text — same topic,
 * district the same or absent, a live incident whose last report is within the
 * window, similarity at least the policy's threshold. `open` mode (POST
 * /v1/incidents: a report that opens its own incident) only knows the caller id.
 */
export async function findMatch(db: Executor, s: Sighting, rules: CorrelationRules, mode: 'correlate' | 'open'): Promise<Match | undefined> {
  if (s.externalId) {
    const incidentId = await incidentOfCallerId(db, s.clientId, s.externalId);
    if (incidentId) return { incidentId, rule: 'caller_id', score: 1 };
  }
  if (mode === 'open') return undefined;
  if (s.eventKey) {
    const incidentId = await liveIncidentOfEventKey(db, s.clientId, s.eventKey);
    if (incidentId) return { incidentId, rule: 'event_key', score: 1 };
  }
  const byUrl = await liveIncidentOfSourceUrl(db, s.sourceUrl);
  if (byUrl) return { incidentId: byUrl, rule: 'source_url', score: 1 };
  const exemplars = await textCandidates(db, {
    topic: s.topic,
    district: s.district,
    since: new Date(Date.now() - rules.windowMs),
    clientId: s.clientId,
    eventKey: s.eventKey,
  });
  return bestTextMatch(s.text, exemplars, rules.textThreshold);
}
