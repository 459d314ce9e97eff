import {
  compareTexts,
  compareTextsAtLeast,
  DISTRICTS,
  textFeatures,
  type DistrictCode,
  type MatchRule,
  type TextComparison,
  type TextFeatures,
  type Topic,
} from '@yuqing/shared';
import type { CorrelationRules } from './correlation-policy';
import { textCandidates, wordingsOf, type Exemplar, type KeyLookup } from './report.repository';

type Executor = Parameters<typeof textCandidates>[0];

/** A report as correlation sees it. */
export interface Sighting {
  readonly clientId: string;
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

export function featuresOf(e: Pick<Exemplar, 'reportId' | 'title' | 'summary' | 'reportDistrict'>): TextFeatures {
  let f = features.get(e.reportId);
  if (!f) {
    if (features.size >= MAX_CACHED) features.delete(features.keys().next().value!);
    f = textFeatures(e.title, e.summary, e.reportDistrict ? DISTRICTS[e.reportDistrict] : null);
    features.set(e.reportId, f);
  }
  return f;
}

/** The best text match among exemplars, or undefined when none reaches the threshold. */
export function bestTextMatch(text: TextFeatures, exemplars: readonly Exemplar[], threshold: number): Match | undefined {
  let best: Match | undefined;
  for (const e of exemplars) {
    const c = compareTextsAtLeast(text, featuresOf(e), threshold);
    if (c && (!best || c.score > best.score)) best = { incidentId: e.incidentId, rule: 'text', score: c.score, text: { ...c, exemplarId: e.reportId } };
  }
  return best;
}

/** The text rule's other conditions: district the same or absent on either side, and never across the caller's own event keys. */
function mayJoinByText(s: Sighting, e: Exemplar): boolean {
  if (s.district && e.districtCode && s.district !== e.districtCode) return false;
  if (!s.eventKey) return true;
  const mine = `${s.clientId} `;
  return !e.eventKeys.some((k) => k.startsWith(mine) && k !== `${mine}${s.eventKey}`);
}

/** How long a topic's wordings are reused without asking the database; a report that finds nothing in them looks again, under the locks. */
const CANDIDATES_TTL_MS = 1_000;

/**
 * Finds the incident a report belongs to, by the rules in order (ARCHITECTURE.md,
 * correlation contract): the caller's own id again (the same post measured again);
 * the caller's `eventKey`; the same source URL (those three looked up together by
 * `lookUpKeys`); then close Chinese text — same topic, district the same or absent, a
 * live incident whose last report is within the window, similarity at least the
 * policy's threshold. The topics' wordings are kept for a second: a burst of reports
 * does not read them each time; a report that finds no match reads them `fresh`
 * under the locks, so a wording a second old is never what opens a duplicate.
 */
export class Correlator {
  /** Per topic: the last read of its wordings, or the one under way (reports arriving meanwhile wait for it rather than read again). */
  private readonly candidates = new Map<Topic, { at: number; exemplars: Promise<Exemplar[]> }>();
  /** Per topic: how many times this process committed a new incident of it (`forget`). */
  private readonly generations = new Map<Topic, number>();

  /** Changes whenever this process commits a new incident of the topic: a report's wordings read before then lack it. */
  generation(topic: Topic): number {
    return this.generations.get(topic) ?? 0;
  }

  /** The match by the rules in order, given the exact keys' lookup and the topic's wordings. */
  findMatch(s: Sighting, rules: CorrelationRules, keys: KeyLookup, wordings: readonly Exemplar[]): Match | undefined {
    if (keys.callerIncidentId) return { incidentId: keys.callerIncidentId, rule: 'caller_id', score: 1 };
    if (keys.eventKeyIncidentId) return { incidentId: keys.eventKeyIncidentId, rule: 'event_key', score: 1 };
    if (keys.urlIncidentId) return { incidentId: keys.urlIncidentId, rule: 'source_url', score: 1 };
    return bestTextMatch(
      s.text,
      wordings.filter((e) => mayJoinByText(s, e)),
      rules.textThreshold,
    );
  }

  /** The closest an incident's exemplars come to a text (their wordings fetched once per process). */
  async closestWording(db: Executor, text: TextFeatures, exemplarIds: readonly string[]): Promise<number> {
    const missing = exemplarIds.filter((id) => !features.has(id));
    for (const w of await wordingsOf(db, missing)) featuresOf(w);
    return Math.max(0, ...exemplarIds.map((id) => (features.has(id) ? compareTexts(text, features.get(id)!).score : 0)));
  }

  /** This process committed a new incident of the topic: its next report reads the wordings anew. */
  forget(topic: Topic): void {
    this.candidates.delete(topic);
    this.generations.set(topic, this.generation(topic) + 1);
  }

  /**
   * A topic's wordings, as read at most a second ago by any report: read outside
   * any transaction (a report reads them before it opens its own, so it never
   * holds a connection while waiting for another).
   */
  wordings(db: Executor, topic: Topic, rules: CorrelationRules): Promise<Exemplar[]> {
    const at = Date.now();
    const cached = this.candidates.get(topic);
    if (cached && at - cached.at < CANDIDATES_TTL_MS) return cached.exemplars;
    const entry = { at, exemplars: textCandidates(db, { topic, since: new Date(at - rules.windowMs) }) };
    this.candidates.set(topic, entry);
    // A failed read is not kept: the next report reads again.
    entry.exemplars.catch(() => {
      if (this.candidates.get(topic) === entry) this.candidates.delete(topic);
    });
    return entry.exemplars;
  }

  /**
   * A topic's wordings read now, inside a transaction that may still open an incident
   * (under the locks). What it read is committed, and newer than what the others were
   * matched against: it becomes the shared read, unless a newer one began meanwhile
   * or an incident of the topic was committed since it began (it would lack that one).
   * Otherwise every report of a new event in flight with the wordings read before its
   * incident was committed would take the locks in turn, one after another.
   */
  freshWordings(trx: Executor, topic: Topic, rules: CorrelationRules): Promise<Exemplar[]> {
    const at = Date.now();
    const generation = this.generation(topic);
    const exemplars = textCandidates(trx, { topic, since: new Date(at - rules.windowMs) });
    void exemplars.then(
      (read) => {
        const cached = this.candidates.get(topic);
        if (this.generation(topic) === generation && (!cached || cached.at <= at)) this.candidates.set(topic, { at, exemplars: Promise.resolve(read) });
      },
      () => undefined,
    );
    return exemplars;
  }
}
