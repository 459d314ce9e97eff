import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import {
  assessTier,
  compareTexts,
  enqueue,
  LIVE_STATUSES,
  maxTier,
  metricsFromSums,
  normaliseSourceUrl,
  recordAudit,
  reportSums,
  requestHash,
  startWorkflowCommand,
  sumsOfOne,
  textFeatures,
  tierRank,
  type AssessmentReason,
  type Database,
  type Db,
  type IncidentInput,
  type IncidentRow,
  type MatchRule,
  type ReportOutcome,
  type ReportRow,
  type Tier,
} from '@yuqing/shared';
import type { ReassessInput, SurgeInput } from '@yuqing/workflows/messages';
import { HttpProblem, type Principal } from '@yuqing/http-kit';
import type { CorrelationRules } from './correlation-policy';
import { featuresOf, findMatch, type Match, type Sighting } from './correlator';
import {
  exemplarsOf,
  findIdempotencyKey,
  findIncident,
  findReportById,
  findSameReport,
  insertIdempotencyKey,
  insertReport,
  lockIncident,
  lockKeys,
} from './report.repository';
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

interface Prepared {
  readonly principal: Principal;
  readonly input: ReportInput;
  readonly hash: string;
  readonly sighting: Sighting;
  readonly rules: CorrelationRules;
  readonly options: AcceptOptions;
}

/**
 * Accepts reports (sightings) and folds them into incidents (issue 15):
 * - the same report again (Idempotency-Key, or caller id and body) answers as the first time;
 * - a report that matches a live incident (correlator.ts: caller id, event key, URL,
 *   text) joins it: one row, the incident's aggregate updated, and only when the
 *   aggregate calls for a higher tier or the spread surges one Update queued for its
 *   workflow — a joining report never costs a workflow start;
 * - otherwise it opens an incident, under advisory locks on every key it could be
 *   matched by, after looking again: concurrent reports of one new event open one
 *   incident, the others join it.
 */
export class ReportService {
  constructor(
    private readonly db: Db,
    private readonly rules: () => Promise<CorrelationRules>,
  ) {}

  async accept(principal: Principal, input: ReportInput, options: AcceptOptions): Promise<AcceptedReport> {
    const hash = requestHash(input);
    const repeat = await this.findRepeat(this.db, principal.id, input, options.idempotencyKey, hash);
    if (repeat) return repeat;
    const rules = await this.rules();
    const p: Prepared = {
      principal,
      input,
      hash,
      rules,
      options,
      sighting: {
        clientId: principal.id,
        externalId: input.source.externalId,
        eventKey: options.mode === 'correlate' ? input.eventKey : undefined,
        sourceUrl: normaliseSourceUrl(input.source.url),
        topic: input.topic,
        district: input.district,
        text: textFeatures(input.title, input.summary),
      },
    };
    try {
      // Most reports join: found without any lock, joined under the incident's row lock.
      for (let attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
        const match = await findMatch(this.db, p.sighting, rules, options.mode);
        if (!match) break;
        const joined = await this.db.transaction().execute((trx) => this.join(trx, p, match));
        if (joined) return joined;
      }
      // Nothing to join: decide alone, and look again once alone (a concurrent report may have opened it).
      return await this.db.transaction().execute(async (trx) => {
        await lockKeys(trx, this.lockKeysOf(p));
        const again = await this.findRepeat(trx, principal.id, input, options.idempotencyKey, hash);
        if (again) return again;
        const match = await findMatch(trx, p.sighting, rules, options.mode);
        const joined = match ? await this.join(trx, p, match) : undefined;
        return joined ?? (await this.open(trx, p));
      });
    } catch (err) {
      // The same request raced itself past the repeat check: answer with what the first stored.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        const winner = await this.findRepeat(this.db, principal.id, input, options.idempotencyKey, hash);
        if (winner) return winner;
      }
      throw err;
    }
  }

  /** Everything this report could be matched by: whoever holds these decides alone whether it opens an incident. */
  private lockKeysOf(p: Prepared): string[] {
    const s = p.sighting;
    return [
      ...(p.options.mode === 'correlate' ? [`topic:${s.topic}`, `url:${s.sourceUrl}`] : []),
      ...(s.eventKey ? [`event:${s.clientId}:${s.eventKey}`] : []),
      ...(s.externalId ? [`caller:${s.clientId}:${s.externalId}`] : []),
      ...(p.options.idempotencyKey ? [`idem:${s.clientId}:${p.options.idempotencyKey}`] : []),
    ];
  }

  /** Opens an incident with this report: incident, report, key, audit and the workflow's start, in one transaction. */
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
    await trx
      .insertInto('incidents')
      .values({
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
      })
      .execute();
    await insertReport(trx, {
      ...reportRow(p, reportId, id, receivedAt),
      outcome: 'opened',
      matchRule: 'opened',
      matchScore: 1,
      exemplar: true,
      incidentSpreadPerHour: metrics.spreadPerHour ?? 0,
    });
    if (p.options.idempotencyKey)
      await insertIdempotencyKey(trx, { clientId: principal.id, key: p.options.idempotencyKey, incidentId: id, reportId, requestHash: p.hash });
    await enqueue(trx, { kind: 'start_workflow', dedupeKey: command.workflowId, payload: command });
    await recordAudit(trx, {
      actor: actorOf(principal),
      action: 'incident.received',
      entity: 'incident',
      entityId: id,
      incidentId: id,
      after: { tier: assessment.tier, title: input.title, externalId: input.source.externalId, eventKey: p.sighting.eventKey, reportId },
      requestId: p.options.requestId ?? null,
    });
    const incident = (await findIncident(trx, id))!;
    return { status: 202, incident, reportId, outcome: 'opened', tier: assessment.tier, match: { rule: 'opened', score: 1 }, queued: true };
  }

  /**
   * Joins a report to the incident it matched, under the incident's row lock (reports
   * of one incident add up one after another): the report stored, the aggregate and
   * assessment updated, and, only when the aggregate calls for a higher tier than the
   * incident has or was already asked for, or its spread surges, one Update queued.
   * Undefined when the incident no longer takes reports (merged, closed meanwhile).
   */
  private async join(trx: Transaction<Database>, p: Prepared, match: Match): Promise<AcceptedReport | undefined> {
    const { input, principal, rules } = p;
    const incident = await lockIncident(trx, match.incidentId);
    if (!incident || incident.status === 'merged') return undefined;
    const live = (LIVE_STATUSES as readonly string[]).includes(incident.status);
    if (!live && match.rule !== 'caller_id') return undefined;

    const now = new Date();
    const reportId = randomUUID();
    const exemplars = await exemplarsOf(trx, incident.id);
    const closest = Math.max(0, ...exemplars.map((e) => compareTexts(p.sighting.text, featuresOf(e)).score));
    await insertReport(trx, {
      ...reportRow(p, reportId, incident.id, now.toISOString()),
      outcome: 'joined',
      matchRule: match.rule,
      matchScore: match.score,
      exemplar: exemplars.length < MAX_EXEMPLARS && closest < NEW_WORDING_BELOW,
    });
    const sums = await reportSums(trx, incident.id, new Date(now.getTime() - rules.spreadWindowMs), reportId);
    const metrics = metricsFromSums(sums, rules.spreadWindowMs);
    const spread = metrics.spreadPerHour ?? 0;
    const flags = [...new Set([...incident.flags, ...input.flags])];
    const suggested = [incident.suggestedTier, input.suggestedTier].filter((t): t is Tier => !!t);
    const assessment = assessTier({ metrics, flags, ...(suggested.length ? { suggestedTier: maxTier(...suggested) } : {}) });
    const asked = maxTier(incident.tier, incident.assessment.tier);
    const raises = live && tierRank(assessment.tier) > tierRank(asked);
    const baseline = sums.baseline;
    const surges =
      live &&
      baseline !== null &&
      baseline > 0 &&
      spread >= 2 * baseline &&
      spread >= rules.surgeFloor &&
      (!incident.lastSurgeAt || now.getTime() - incident.lastSurgeAt.getTime() >= rules.spreadWindowMs);
    const outcome: ReportOutcome = raises ? 'reassessed' : 'joined';

    await trx.updateTable('reports').set({ incidentSpreadPerHour: spread, outcome }).where('id', '=', reportId).execute();
    await trx
      .updateTable('incidents')
      .set({
        metrics: JSON.stringify(metrics),
        flags: JSON.stringify(flags),
        suggestedTier: suggested.length ? maxTier(...suggested) : null,
        lastReportAt: now,
        ...(raises ? { assessment: JSON.stringify(assessment) } : {}),
        ...(surges ? { lastSurgeAt: now } : {}),
        updatedAt: sql`now()`,
      })
      .where('id', '=', incident.id)
      .execute();
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
    await recordAudit(trx, {
      actor: actorOf(principal),
      action: raises ? 'incident.reassessed' : 'incident.report_joined',
      entity: 'report',
      entityId: reportId,
      incidentId: incident.id,
      before: { tier: asked, metrics: incident.metrics },
      after: {
        rule: match.rule,
        score: match.score,
        ...(match.text ? { exemplarId: match.text.exemplarId, shared: match.text.shared } : {}),
        tier: raises ? assessment.tier : asked,
        metrics,
        ...(surges ? { surge: { spreadPerHour: spread, baseline } } : {}),
      },
      requestId: p.options.requestId ?? null,
    });
    const row = (await findIncident(trx, incident.id))!;
    return {
      status: p.options.mode === 'open' ? 200 : 202,
      incident: row,
      reportId,
      outcome,
      tier: raises ? assessment.tier : asked,
      match: { rule: match.rule, score: match.score },
      queued: raises || surges,
    };
  }

  /** The same request sent again: its first answer (200), or a 422 for a key reused with another body. */
  private async findRepeat(
    db: Db | Transaction<Database>,
    clientId: string,
    input: ReportInput,
    key: string | undefined,
    hash: string,
  ): Promise<AcceptedReport | undefined> {
    let report: ReportRow | undefined;
    if (key) {
      const found = await findIdempotencyKey(db, clientId, key);
      if (found) {
        if (found.requestHash !== hash) {
          throw new HttpProblem(
            422,
            'idempotency_key_reused',
            'Unprocessable Content',
            '该 Idempotency-Key 已用于内容不同的请求 (this Idempotency-Key was already used with a different request body)',
            [{ field: 'headers.idempotency-key', pointer: '/headers/idempotency-key', message: 'reused with a different body' }],
          );
        }
        report = found.reportId
          ? await findReportById(db, found.reportId)
          : await db
              .selectFrom('reports')
              .selectAll()
              .where('incidentId', '=', found.incidentId)
              .where('requestHash', '=', hash)
              .orderBy('receivedAt')
              .executeTakeFirst();
        if (!report) {
          // A key stored before reports were kept: its incident is the answer.
          const incident = (await findIncident(db, found.incidentId))!;
          return { status: 200, incident, reportId: incident.id, outcome: 'opened', tier: incident.tier, match: { rule: 'opened', score: 1 }, queued: false };
        }
      }
    }
    if (!report && input.source.externalId) report = await findSameReport(db, clientId, input.source.externalId, hash);
    if (!report) return undefined;
    const incident = (await findIncident(db, report.incidentId))!;
    return {
      status: 200,
      incident,
      reportId: report.id,
      outcome: report.outcome,
      tier: maxTier(incident.tier, incident.assessment.tier),
      match: { rule: report.matchRule, score: report.matchScore },
      queued: false,
    };
  }
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

async function enqueueUpdate(
  trx: Transaction<Database>,
  incident: IncidentRow,
  updateId: string,
  what: { update: 'reassess'; input: ReassessInput } | { update: 'surge'; input: SurgeInput },
): Promise<void> {
  const command: WorkflowUpdateCommand = { workflowId: incident.workflowId, incidentId: incident.id, updateId, ...what };
  await enqueue(trx, { kind: 'update_workflow', dedupeKey: updateId, payload: command });
}
