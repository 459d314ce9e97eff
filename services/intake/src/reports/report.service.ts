import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type QueryCreator, type Transaction } from 'kysely';
import {
  addToIncidentMinutes,
  assessTier,
  auditRow,
  compileOnce,
  DISTRICTS,
  enqueue,
  openingTotals,
  FIGURE_SHARDS,
  INCIDENT_COLUMNS,
  isInformative,
  LIVE_STATUSES,
  maxTier,
  metricsFromSums,
  normaliseSourceUrl,
  requestHash,
  startWorkflowCommand,
  sumsOfOne,
  textFeatures,
  tierRank,
  vetoFamilies,
  holdAndSum,
  type Assessment,
  type AssessmentReason,
  type AuditEntry,
  type Database,
  type Db,
  type IncidentsTable,
  type ReportsTable,
  type IncidentInput,
  type IncidentRow,
  type MatchRule,
  type ReportOutcome,
  type Tier,
} from '@yuqing/shared';
import type { ReassessInput, SurgeInput } from '@yuqing/workflows/messages';
import { problems, type Principal } from '@yuqing/http-kit';
import type { CorrelationRules } from './correlation-policy';
import { Correlator, type Match, type Sighting } from './correlator';
import { Deciders, DecidingMeanwhile } from './deciders';
import { findIncident, findReportById, insertIdempotencyKey, lockKeys, lookUpKeys, type Exemplar, type KeyLookup } from './report.repository';
import type { WorkflowUpdateCommand } from '../incidents/workflow-updater';

/** One sighting: what `POST /v1/reports` takes; `POST /v1/incidents` takes it without `eventKey`. */
export type ReportInput = IncidentInput & { readonly eventKey?: string | undefined };

export interface AcceptedReport {
  /** 202 a new report; 200 the same report again (or, on POST /v1/incidents, a new sighting of a known incident). */
  readonly status: 202 | 200;
  readonly incident: IncidentRow;
  readonly reportId: string;
  readonly outcome: ReportOutcome;
  /** The tier the incident is on, or is being raised to. */
  readonly tier: Tier;
  readonly match: { readonly rule: MatchRule; readonly score: number };
  /** Work for the workflows was queued (a start, a raise, a surge): the relays should run now. */
  readonly queued: boolean;
}

export interface AcceptOptions {
  readonly idempotencyKey?: string | undefined;
  readonly requestId?: string | undefined;
  /** `correlate` (POST /v1/reports) or `open` (POST /v1/incidents: a report that opens its own incident). */
  readonly mode: 'correlate' | 'open';
}

const UNIQUE_VIOLATION = '23505';
const SYSTEM_INTAKE = { id: 'system:intake', kind: 'system', name: '监测报告重新研判' } as const;
/** Wordings an incident is matched by, at most: the opening one and those that say it differently. */
const MAX_EXEMPLARS = 8;
/** A report worded this close to an exemplar adds no new wording. */
const NEW_WORDING_BELOW = 0.8;
/** Joins retried when the incident found stopped taking reports meanwhile (merged, closed). */
const JOIN_ATTEMPTS = 3;
/** Reads of an incident that changed while a joining report waited for it, before the report is tried again whole. */
const HOLD_ATTEMPTS = 3;
/** A report tried again after a conflict that kept nothing of it (see `triedAgain`). */
const ACCEPT_ATTEMPTS = 3;

/**
 * Conflicts after which the report is simply tried again, as its transaction kept
 * nothing: PostgreSQL chose it to break a deadlock or a serialization conflict, or
 * another report of the same post became current first (the next try supersedes it).
 */
function triedAgain(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '40P01' || e.code === '40001' || e.constraint === 'reports_current_source';
}

interface Prepared {
  readonly principal: Principal;
  readonly input: ReportInput;
  readonly hash: string;
  readonly sighting: Sighting;
  readonly rules: CorrelationRules;
  readonly options: AcceptOptions;
}

/** What the first look found: the same request's first answer, or where the report's exact keys point. */
type Lookup = { readonly repeat: AcceptedReport } | { readonly repeat?: undefined; readonly keys: KeyLookup };

/**
 * Accepts reports (sightings) and folds them into incidents (issue 15):
 * - the same report again (Idempotency-Key, or caller id and body) answers as the first time;
 * - a report that matches an incident (correlator.ts: caller id, event key, URL,
 *   text) joins it: one row, the incident's figures added up at a cost that does not
 *   grow with its reports, and only when they call for a higher tier or the spread
 *   surges one Update queued for its workflow — a joining report never costs a
 *   workflow start;
 * - otherwise it opens an incident, under advisory locks on every key it could be
 *   matched by, after looking again: concurrent reports of one new event open one
 *   incident, the others join it.
 */
export class ReportService {
  private readonly correlator = new Correlator();
  private readonly deciders = new Deciders();
  private shard = Math.floor(Math.random() * FIGURE_SHARDS);

  constructor(
    private readonly db: Db,
    private readonly rules: () => Promise<CorrelationRules>,
  ) {}

  /**
   * The shard of an incident's running figures a joining report adds to, in turn:
   * reports joining at once (as when a new event's first ones join together) take
   * different rows rather than wait for one another's where a random pick collides.
   */
  private nextShard(): number {
    this.shard = (this.shard + 1) % FIGURE_SHARDS;
    return this.shard;
  }

  async accept(principal: Principal, input: ReportInput, options: AcceptOptions): Promise<AcceptedReport> {
    let waited = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.acceptOnce(principal, input, options, waited);
      } catch (err) {
        // Once only: a report tried again after waiting decides under the locks, whoever else is deciding.
        if (err instanceof DecidingMeanwhile && !waited) {
          waited = true;
          attempt--;
          await err.settled;
          continue;
        }
        if (attempt >= ACCEPT_ATTEMPTS || !triedAgain(err)) throw err;
      }
    }
  }

  private async acceptOnce(principal: Principal, input: ReportInput, options: AcceptOptions, waited: boolean): Promise<AcceptedReport> {
    const hash = requestHash(input);
    const rules = await this.rules();
    const p: Prepared = {
      principal,
      input,
      hash,
      rules,
      options,
      sighting: {
        clientId: principal.id,
        eventKey: options.mode === 'correlate' ? input.eventKey : undefined,
        sourceUrl: normaliseSourceUrl(input.source.url),
        topic: input.topic,
        district: input.district,
        text: textFeatures(input.title, input.summary, input.district ? DISTRICTS[input.district] : null),
      },
    };
    // The topic's wordings, as read at most a second ago, before the transaction holds a connection.
    const generation = this.correlator.generation(input.topic);
    const wordings = options.mode === 'correlate' ? await this.correlator.wordings(this.db, input.topic, rules) : [];
    const find = (keys: KeyLookup, within: readonly Exemplar[]) =>
      options.mode === 'open' && !keys.callerIncidentId ? undefined : this.correlator.findMatch(p.sighting, rules, keys, within);
    let leave: (() => void) | undefined;
    try {
      const accepted = await this.db.transaction().execute(async (trx) => {
        if (options.mode === 'open') {
          // POST /v1/incidents is matched by its caller id alone: it takes its few locks (the post's first, as below)
          // before it looks, a round trip fewer than looking, locking and looking again.
          await lockKeys(trx, this.lockKeysOf(p), p.sighting.sourceUrl);
          for (let attempt = 1; ; attempt++) {
            const seen = await this.lookUp(trx, p);
            if (seen.repeat) return seen.repeat;
            const match = find(seen.keys, []);
            if (!match) return this.open(trx, p);
            const joined = await this.join(trx, p, match);
            if (joined) return joined;
            // Its caller's incident was merged meanwhile: its reports, looked up again, name the one that took them.
            if (attempt === JOIN_ATTEMPTS) return this.open(trx, p);
          }
        }
        // The first look takes the post's lock: the statements after it see what an earlier report of the post committed.
        const first = await this.lookUp(trx, p, true);
        if (first.repeat) return first.repeat;
        // Most reports join: matched without any other lock, under the incident's key-share lock.
        let keys = first.keys;
        for (let attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
          const match = find(keys, wordings);
          if (!match) break;
          const joined = await this.join(trx, p, match);
          if (joined) return joined;
          // That incident stopped taking reports meanwhile (nothing was written): look again.
          const again = await this.lookUp(trx, p);
          if (again.repeat) return again.repeat;
          keys = { ...again.keys, callerIncidentId: null };
        }
        // Nothing to join: decide alone, and look again once alone (a concurrent report may have opened it).
        const locks = this.lockKeysOf(p);
        // Once: after whoever of this process decides under its keys, or at once if an incident of its topic was committed since its wordings were read.
        const settled = waited
          ? undefined
          : (this.deciders.settled(locks) ?? (this.correlator.generation(input.topic) !== generation ? Promise.resolve() : undefined));
        if (settled) throw new DecidingMeanwhile(settled);
        leave = this.deciders.enter(locks);
        await lockKeys(trx, locks);
        const again = await this.lookUp(trx, p);
        if (again.repeat) return again.repeat;
        const fresh = options.mode === 'correlate' ? await this.correlator.freshWordings(trx, input.topic, rules) : [];
        const match = find(again.keys, fresh);
        const joined = match ? await this.join(trx, p, match) : undefined;
        return joined ?? (await this.open(trx, p));
      });
      // Only once it is committed: a read before then would miss it, and be kept for a second.
      if (accepted.outcome === 'opened' && accepted.status === 202) this.correlator.forget(input.topic);
      leave?.();
      return accepted;
    } catch (err) {
      leave?.();
      // The same request raced itself past the repeat check: answer with what the first stored.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        const winner = await this.lookUp(this.db, p);
        if (winner.repeat) return winner.repeat;
      }
      throw err;
    }
  }

  /**
   * Everything this report could be matched by — its URL, event key, caller id,
   * Idempotency-Key, and the districts, places and products its text names (two texts
   * that can be matched name one in common) — so whoever holds these decides alone
   * whether it opens an incident, and reports of unrelated events do not wait.
   */
  private lockKeysOf(p: Prepared): string[] {
    const s = p.sighting;
    const externalId = p.input.source.externalId;
    return [
      ...(p.options.mode === 'correlate' ? [`url:${s.sourceUrl}`, ...this.textLocks(p)] : []),
      ...(s.eventKey ? [`event:${s.clientId}:${s.eventKey}`] : []),
      ...(externalId ? [`caller:${s.clientId}:${externalId}`] : []),
      ...(p.options.idempotencyKey ? [`idem:${s.clientId}:${p.options.idempotencyKey}`] : []),
    ];
  }

  private textLocks(p: Prepared): string[] {
    return vetoFamilies(p.sighting.text.anchors).map((f) => `text:${p.sighting.topic}:${f}`);
  }

  /** Opens an incident with this report: incident, report, its figures, Idempotency-Key, audit and the workflow's start, in one statement. */
  private async open(trx: Transaction<Database>, p: Prepared): Promise<AcceptedReport> {
    const { input, principal, rules } = p;
    const id = randomUUID();
    const reportId = randomUUID();
    const receivedAt = new Date().toISOString();
    const metrics = metricsFromSums(sumsOfOne(input.metrics), rules.spreadWindowMs);
    const assessment = assessTier({ metrics, flags: input.flags, suggestedTier: input.suggestedTier });
    const command = startWorkflowCommand({
      incidentId: id,
      report: input,
      metrics,
      tier: assessment.tier,
      reasons: assessment.reasons,
      receivedAt,
      clientId: principal.id,
    });
    const row = reportRow(p, reportId, id, receivedAt);
    const spread = metrics.spreadPerHour ?? 0;
    // The incident, its report, figures, audit entry and the workflow's start: one statement.
    const key = p.options.idempotencyKey;
    const incident = await openStatement(key !== undefined).executeTakeFirst(trx, {
      incident: {
        id,
        clientId: principal.id,
        externalId: input.source.externalId ?? null,
        title: input.title,
        summary: input.summary ?? null,
        source: JSON.stringify(input.source),
        topic: input.topic,
        districtCode: input.district ?? null,
        metrics: JSON.stringify(metrics),
        flags: JSON.stringify(input.flags),
        suggestedTier: input.suggestedTier ?? null,
        tier: assessment.tier,
        status: 'received',
        assessment: JSON.stringify(assessment),
        workflowId: command.workflowId,
        policyVersion: null,
        requestHash: p.hash,
        createdAt: receivedAt,
        updatedAt: receivedAt,
        lastReportAt: receivedAt,
        eventKeys: p.sighting.eventKey ? [`${principal.id} ${p.sighting.eventKey}`] : [],
      },
      report: { ...row, outcome: 'opened', matchRule: 'opened', matchScore: 1, exemplar: true, incidentSpreadPerHour: spread },
      totals: openingTotals(id, row),
      minute: { incidentId: id, shard: 0, spread: row.spreadPerHour ?? 0, minIncidentSpread: spread },
      outbox: { kind: 'start_workflow', dedupeKey: command.workflowId, payload: JSON.stringify(command) },
      audit: auditRow({
        actor: actorOf(principal),
        action: 'incident.received',
        entity: 'incident',
        entityId: id,
        incidentId: id,
        after: { tier: assessment.tier, title: input.title, externalId: input.source.externalId, eventKey: p.sighting.eventKey, reportId },
        requestId: p.options.requestId ?? null,
      }),
      idempotency: key !== undefined ? { clientId: principal.id, key, incidentId: id, reportId, requestHash: p.hash } : null,
    });
    if (!incident) throw new Error(`incident ${id} was not stored`);
    return { status: 202, incident, reportId, outcome: 'opened', tier: assessment.tier, match: { rule: 'opened', score: 1 }, queued: true };
  }

  /**
   * Joins a report to the incident it matched, in two statements (`holdAndSum`, then
   * `joinStatement`), under the incident's key-share lock: the report stored, the
   * figures and assessment updated, and, only when they call for a higher tier than
   * the incident has or was already asked for, or its spread surges, one Update
   * queued. Undefined, with nothing written, when the incident as held no longer takes
   * it (merged, closed, out of the window meanwhile).
   */
  private async join(trx: Transaction<Database>, p: Prepared, match: Match): Promise<AcceptedReport | undefined> {
    const { input, principal, rules } = p;
    const now = new Date();
    const reportId = randomUUID();
    const row = reportRow(p, reportId, match.incidentId, now.toISOString());
    const shard = this.nextShard();
    const hold = () =>
      holdAndSum(trx, {
        incidentId: match.incidentId,
        sourceUrl: row.sourceUrl,
        added: row,
        windowMs: rules.spreadWindowMs,
        shard,
        terms: {
          anyStatus: match.rule === 'caller_id',
          lastReportSince: match.rule === 'text' ? new Date(now.getTime() - rules.windowMs) : undefined,
        },
      });
    let held = await hold();
    // It changed while this waited for it (a merge, a split): read again, now that it is held.
    for (let again = 0; held?.unsettled; again++) {
      if (again === HOLD_ATTEMPTS) throw Object.assign(new Error(`incident ${match.incidentId} kept changing under a joining report`), { code: '40001' });
      held = await hold();
    }
    if (!held?.sums) return undefined;
    const { incident } = held;
    const { sums, baseline, superseded, exemplarIds } = held.sums;
    const live = (LIVE_STATUSES as readonly string[]).includes(incident.status);
    const metrics = metricsFromSums(sums, rules.spreadWindowMs);
    const spread = metrics.spreadPerHour ?? 0;
    const flags = [...new Set([...incident.flags, ...input.flags])];
    const suggested = [incident.suggestedTier, input.suggestedTier].filter((t): t is Tier => !!t);
    const suggestedTier = suggested.length ? maxTier(...suggested) : null;
    const assessment = assessTier({ metrics, flags, ...(suggestedTier ? { suggestedTier } : {}) });
    const asked = maxTier(incident.tier, incident.assessment.tier);
    const eventKey = p.sighting.eventKey ? `${principal.id} ${p.sighting.eventKey}` : undefined;
    // Decisions that change the incident are taken once: the first report to see them wins the row.
    const raises = live && tierRank(assessment.tier) > tierRank(asked) && (await claimRaise(trx, incident.id, assessment));
    const surges =
      live &&
      baseline !== null &&
      baseline > 0 &&
      spread >= 2 * baseline &&
      spread >= rules.surgeFloor &&
      !surgedWithin(incident, now, rules.spreadWindowMs) &&
      (await claimSurge(trx, incident.id, now, rules.spreadWindowMs));
    const outcome: ReportOutcome = raises ? 'reassessed' : 'joined';
    // A new wording (best effort: at most a few per incident) is one its next reports may be matched by.
    const exemplar =
      exemplarIds.length < MAX_EXEMPLARS &&
      isInformative(p.sighting.text) &&
      (await this.correlator.closestWording(trx, p.sighting.text, exemplarIds)) < NEW_WORDING_BELOW;
    const audit: AuditEntry = {
      actor: actorOf(principal),
      action: raises ? 'incident.reassessed' : 'incident.report_joined',
      entity: 'report',
      entityId: reportId,
      incidentId: incident.id,
      before: { tier: asked },
      after: {
        rule: match.rule,
        score: match.score,
        ...(match.text ? { exemplarId: match.text.exemplarId, shared: match.text.shared } : {}),
        tier: raises ? assessment.tier : asked,
        metrics,
        ...(surges ? { surge: { spreadPerHour: spread, baseline } } : {}),
      },
      requestId: p.options.requestId ?? null,
    };
    // What must be kept (flags, a suggestion, an event key) waits for the incident's row; its shown figures
    // are refreshed by whichever report finds the row free (the running totals hold every report).
    const appendKey = eventKey !== undefined && !incident.eventKeys.includes(eventKey);
    const mustWrite = flags.length !== incident.flags.length || suggestedTier !== incident.suggestedTier || appendKey;
    const sameMinuteOld = superseded?.sameMinute ? (superseded.spreadPerHour ?? 0) : 0;
    // The report, its minute, its audit entry and the incident's new figures: one statement.
    const refreshed = await joinStatement(appendKey, mustWrite).executeTakeFirst(trx, {
      report: { ...row, outcome, matchRule: match.rule, matchScore: match.score, exemplar, incidentSpreadPerHour: spread },
      minute: { incidentId: incident.id, shard, spread: (row.spreadPerHour ?? 0) - sameMinuteOld, minIncidentSpread: spread },
      audit: auditRow(audit),
      incident: { metrics: JSON.stringify(metrics), flags: JSON.stringify(flags), suggestedTier, lastReportAt: now },
      incidentId: incident.id,
      eventKey: appendKey ? eventKey : null,
    });
    if (superseded?.spreadPerHour && !superseded.sameMinute)
      await addToIncidentMinutes(trx, incident.id, { spreadPerHour: 0, incidentSpread: spread }, superseded, shard);
    if (raises) {
      const reportIds = await causingReports(trx, incident.id, reportId, assessment.reasons[0]);
      await enqueueUpdate(trx, incident, `reassess:${reportId}`, {
        update: 'reassess',
        input: { actor: SYSTEM_INTAKE, tier: assessment.tier, reasons: assessment.reasons, reportId, reportIds },
      });
    }
    if (surges) {
      const recent = await trx
        .selectFrom('reports')
        .select('id')
        .where('incidentId', '=', incident.id)
        .where('receivedAt', '>=', new Date(now.getTime() - rules.spreadWindowMs))
        .orderBy('receivedAt', 'desc')
        .limit(10)
        .execute();
      await enqueueUpdate(trx, incident, `surge:${reportId}`, {
        update: 'surge',
        input: { actor: SYSTEM_INTAKE, spreadPerHour: spread, baseline, window: rules.spreadWindow, reportIds: recent.map((r) => r.id) },
      });
    }
    if (p.options.idempotencyKey)
      await insertIdempotencyKey(trx, { clientId: principal.id, key: p.options.idempotencyKey, incidentId: incident.id, reportId, requestHash: p.hash });
    return {
      status: p.options.mode === 'open' ? 200 : 202,
      incident: {
        ...incident,
        metrics,
        flags,
        suggestedTier,
        lastReportAt: now,
        // An event key is appended only by a report that waited for the row, so it was written.
        eventKeys: appendKey ? [...incident.eventKeys, eventKey] : incident.eventKeys,
        updatedAt: refreshed?.updatedAt ?? incident.updatedAt,
      },
      reportId,
      outcome,
      tier: raises ? assessment.tier : asked,
      match: { rule: match.rule, score: match.score },
      queued: raises || surges,
    };
  }

  /**
   * The same request sent again (its first answer, 200; a 422 for a key reused with
   * another body), or else where the report's exact keys point.
   */
  private async lookUp(db: Db | Transaction<Database>, p: Prepared, holdPost = false): Promise<Lookup> {
    const { principal, input, hash } = p;
    const keys = await lookUpKeys(db, {
      holdPost,
      clientId: principal.id,
      idempotencyKey: p.options.idempotencyKey,
      externalId: input.source.externalId,
      requestHash: hash,
      eventKey: p.sighting.eventKey,
      sourceUrl: p.sighting.sourceUrl,
      correlate: p.options.mode === 'correlate',
    });
    const found = keys.idempotent;
    if (found && found.requestHash !== hash) {
      throw problems.idempotencyKeyReused();
    }
    if (found && !found.reportId) {
      // A key stored before reports were kept: its incident is the answer.
      const incident = (await findIncident(db, found.incidentId))!;
      return repeatOf(incident, { reportId: incident.id, outcome: 'opened', tier: incident.tier, match: { rule: 'opened', score: 1 } });
    }
    const reportId = found?.reportId ?? keys.sameReportId;
    if (!reportId) return { keys };
    const report = (await findReportById(db, reportId))!;
    const incident = (await findIncident(db, report.incidentId))!;
    return repeatOf(incident, {
      reportId: report.id,
      outcome: report.outcome,
      tier: maxTier(incident.tier, incident.assessment.tier),
      match: { rule: report.matchRule, score: report.matchScore },
    });
  }
}

/** The same request's answer again: 200, nothing queued. */
const repeatOf = (incident: IncidentRow, first: Pick<AcceptedReport, 'reportId' | 'outcome' | 'tier' | 'match'>): Lookup => ({
  repeat: { status: 200, incident, ...first, queued: false },
});

type IdempotencyRow = { readonly clientId: string; readonly key: string; readonly incidentId: string; readonly reportId: string; readonly requestHash: string };

type OpenArgs = {
  readonly incident: Insertable<IncidentsTable>;
  readonly report: Insertable<ReportsTable>;
  readonly totals: ReturnType<typeof openingTotals>;
  readonly minute: { readonly incidentId: string; readonly shard: number; readonly spread: number; readonly minIncidentSpread: number };
  readonly outbox: { readonly kind: 'start_workflow'; readonly dedupeKey: string; readonly payload: string };
  readonly audit: ReturnType<typeof auditRow>;
  /** The request's Idempotency-Key, only with `keyed`. */
  readonly idempotency: IdempotencyRow | null;
};

/**
 * What opening an incident writes, as one statement compiled once for each of its
 * two shapes (compileOnce), with or without the request's Idempotency-Key: the
 * incident, its first report, running totals and minute, the workflow's start in
 * the outbox and the audit entry. The rows referring to the incident are checked
 * against it at the end of the statement, when it is there.
 */
function openStatement(keyed: boolean) {
  return (openStatements[keyed ? 1 : 0] ??= compileOpen(keyed));
}

const openStatements: ReturnType<typeof compileOpen>[] = [];

function compileOpen(keyed: boolean) {
  return compileOnce((db, a: OpenArgs) => {
    // The key's row is one more CTE; the rest of the statement does not refer to it.
    const base: QueryCreator<Database> = keyed
      ? (db.with('keyed', (db) => db.insertInto('idempotencyKeys').values(a.idempotency!)) as unknown as QueryCreator<Database>)
      : db;
    return base
      .with('stored', (db) => db.insertInto('reports').values(a.report))
      .with('totals', (db) => db.insertInto('incidentTotals').values(a.totals))
      .with('minute', (db) => db.insertInto('incidentMinutes').values({ ...a.minute, minute: sql<Date>`date_trunc('minute', now())`, reports: 1 }))
      .with('queued', (db) =>
        db
          .insertInto('outbox')
          .values(a.outbox)
          .onConflict((oc) => oc.column('dedupeKey').doNothing()),
      )
      .with('audited', (db) => db.insertInto('auditLog').values(a.audit))
      .insertInto('incidents')
      .values(a.incident)
      .returning(INCIDENT_COLUMNS);
  });
}

/**
 * The report, its minute, its audit entry and the incident's new figures: the
 * statement every joining report runs, compiled once for each of its four shapes
 * (compileOnce): with or without the event key appended, waiting for the incident's
 * row or skipping it when another report holds it.
 */
function joinStatement(appendKey: boolean, waitForRow: boolean) {
  const at = (appendKey ? 2 : 0) + (waitForRow ? 1 : 0);
  return (joinStatements[at] ??= compileJoin(appendKey, waitForRow));
}

const joinStatements: ReturnType<typeof compileJoin>[] = [];

type JoinArgs = {
  readonly report: Insertable<ReportsTable>;
  readonly minute: { readonly incidentId: string; readonly shard: number; readonly spread: number; readonly minIncidentSpread: number };
  readonly audit: ReturnType<typeof auditRow>;
  readonly incident: { readonly metrics: string; readonly flags: string; readonly suggestedTier: Tier | null; readonly lastReportAt: Date };
  readonly incidentId: string;
  /** The event key to append (`clientId eventKey`), only with `appendKey`. */
  readonly eventKey: string | null;
};

function compileJoin(appendKey: boolean, waitForRow: boolean) {
  return compileOnce((db, a: JoinArgs) =>
    db
      .with('stored', (db) => db.insertInto('reports').values(a.report))
      .with('minute', (db) =>
        db
          .insertInto('incidentMinutes')
          .values({ ...a.minute, minute: sql<Date>`date_trunc('minute', now())`, reports: 1 })
          .onConflict((oc) =>
            oc.columns(['incidentId', 'minute', 'shard']).doUpdateSet((eb) => ({
              reports: eb('incidentMinutes.reports', '+', 1),
              spread: eb('incidentMinutes.spread', '+', eb.ref('excluded.spread')),
              minIncidentSpread: sql<number>`least(incident_minutes.min_incident_spread, excluded.min_incident_spread)`,
            })),
          ),
      )
      .with('audited', (db) => db.insertInto('auditLog').values(a.audit))
      .updateTable('incidents')
      .set({
        ...a.incident,
        ...(appendKey ? { eventKeys: sql<string[]>`array_append(event_keys, ${a.eventKey})` } : {}),
        updatedAt: sql`now()`,
      })
      .where('id', '=', (eb) => {
        const q = eb.selectFrom('incidents').select('id').where('id', '=', a.incidentId);
        return waitForRow ? q.forNoKeyUpdate() : q.forNoKeyUpdate().skipLocked();
      })
      // The rest of the row is the one held: reading it back whole cost every report a second row to parse.
      .returning('updatedAt'),
  );
}

const actorOf = (p: Principal) => ({ id: p.id, kind: p.kind, ...(p.unitId ? { unitId: p.unitId } : {}) });

function reportRow(p: Prepared, id: string, incidentId: string, receivedAt: string) {
  const { input } = p;
  const m = input.metrics;
  return {
    id,
    incidentId,
    clientId: p.principal.id,
    externalId: input.source.externalId ?? null,
    eventKey: p.sighting.eventKey ?? null,
    source: JSON.stringify(input.source),
    sourceUrl: p.sighting.sourceUrl,
    title: input.title,
    summary: input.summary ?? null,
    topic: input.topic,
    districtCode: input.district ?? null,
    reportCount: m.reportCount ?? null,
    reach: m.reach ?? null,
    spreadPerHour: m.spreadPerHour ?? null,
    negativeRatio: m.negativeRatio ?? null,
    importantMedia: m.importantMedia ?? null,
    flags: JSON.stringify(input.flags),
    suggestedTier: input.suggestedTier ?? null,
    requestHash: p.hash,
    receivedAt,
  } as const;
}

/**
 * The reports behind a raise, for its reasons: this one, then those that carry the
 * strongest rule most (the largest reach for `reach>=…`, the flag's reports for
 * `flag:…`, the newest for spread), five at most.
 */
async function causingReports(trx: Transaction<Database>, incidentId: string, reportId: string, reason: AssessmentReason | undefined): Promise<string[]> {
  let q = trx.selectFrom('reports').select('id').where('incidentId', '=', incidentId).where('current', '=', true).where('id', '<>', reportId).limit(4);
  const rule = reason?.rule ?? '';
  if (rule.startsWith('reach')) q = q.where('reach', 'is not', null).orderBy('reach', 'desc');
  else if (rule.startsWith('report_count')) q = q.where('reportCount', 'is not', null).orderBy('reportCount', 'desc');
  else if (rule.startsWith('flag:')) q = q.where(sql<boolean>`flags ? ${rule.slice(5)}`).orderBy('receivedAt', 'desc');
  else if (rule === 'important_media') q = q.where('importantMedia', '=', true).orderBy('receivedAt', 'desc');
  else if (rule === 'suggested_tier') q = q.where('suggestedTier', '=', reason!.tier).orderBy('receivedAt', 'desc');
  else q = q.orderBy('receivedAt', 'desc');
  return [reportId, ...(await q.execute()).map((r) => r.id)];
}

const TIER_ORDER = sql.join(['general', 'sensitive', 'major', 'critical'].map((t) => sql.lit(t)));

/** Records that the incident is being raised to `assessment.tier`, unless another report already asked for as much: true for the one that did. */
async function claimRaise(trx: Transaction<Database>, incidentId: string, assessment: Assessment): Promise<boolean> {
  const claimed = await trx
    .updateTable('incidents')
    .set({ assessment: JSON.stringify(assessment) })
    .where('id', '=', incidentId)
    .where(
      sql<boolean>`greatest(array_position(array[${TIER_ORDER}], tier), array_position(array[${TIER_ORDER}], assessment->>'tier')) < array_position(array[${TIER_ORDER}], ${assessment.tier}::text)`,
    )
    .returning('id')
    .executeTakeFirst();
  return claimed !== undefined;
}

/**
 * A surge was raised within the window as the held row says: claiming one cannot
 * succeed (only a claim moves `lastSurgeAt`, and one succeeding meanwhile set it later
 * still), so the round trip is spared — in a burst nearly every report of a spreading
 * incident would ask.
 */
function surgedWithin(incident: IncidentRow, now: Date, windowMs: number): boolean {
  return incident.lastSurgeAt !== null && incident.lastSurgeAt.getTime() > now.getTime() - windowMs;
}

/** Records a surge, unless one was raised within the window: true for the report that raised it. */
async function claimSurge(trx: Transaction<Database>, incidentId: string, now: Date, windowMs: number): Promise<boolean> {
  const claimed = await trx
    .updateTable('incidents')
    .set({ lastSurgeAt: now })
    .where('id', '=', incidentId)
    .where((eb) => eb.or([eb('lastSurgeAt', 'is', null), eb('lastSurgeAt', '<=', new Date(now.getTime() - windowMs))]))
    .returning('id')
    .executeTakeFirst();
  return claimed !== undefined;
}

async function enqueueUpdate(
  trx: Transaction<Database>,
  incident: IncidentRow,
  updateId: string,
  what: { update: 'reassess'; input: ReassessInput } | { update: 'surge'; input: SurgeInput },
): Promise<void> {
  const command: WorkflowUpdateCommand = { workflowId: incident.workflowId, incidentId: incident.id, updateId, ...what };
  await enqueue(trx, { kind: 'update_workflow', dedupeKey: updateId, payload: command });
}
