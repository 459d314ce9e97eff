import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import {
  aggregateMetrics,
  assessTier,
  DISTRICTS,
  enqueue,
  incidentWorkflowId,
  maxTier,
  recordAudit,
  requestHash,
  tierRank,
  TIER_LABELS,
  TOPIC_LABELS,
  type Database,
  type Db,
  type IncidentInput,
  type IncidentRow,
  type ReportOutcome,
  type ReportRow,
  type Tier,
} from '@yuqing/shared';
import type { IncidentWorkflowInput, ReassessInput } from '@yuqing/workflows/messages';
import { HttpProblem, type Principal } from '@yuqing/http-kit';
import {
  findByExternalId,
  findByIdempotencyKey,
  findIncident,
  findReport,
  insertIdempotencyKey,
  insertIncident,
  insertReport,
  reportsOf,
} from './incident.repository';

/** What the outbox keeps to start an incident's workflow once Temporal answers. */
export interface StartWorkflowCommand {
  readonly workflowId: string;
  readonly input: IncidentWorkflowInput;
  readonly staticSummary: string;
  readonly staticDetails: string;
}

/** What the outbox keeps to raise a running incident's tier after a new report. */
export interface ReassessCommand {
  readonly workflowId: string;
  readonly incidentId: string;
  readonly updateId: string;
  readonly input: ReassessInput;
}

export interface AcceptResult {
  readonly status: 202 | 200;
  readonly incident: IncidentRow;
  readonly reportId: string;
  readonly outcome: ReportOutcome;
  /** The tier the incident is on, or is being raised to by this report. */
  readonly tier: Tier;
}

const UNIQUE_VIOLATION = '23505';

const SYSTEM_INTAKE = { id: 'system:intake', kind: 'system', name: '监测报告重新研判' } as const;

/**
 * Accepts one report of an incident:
 * - new: assesses its tier and, in one transaction, stores the incident, its first
 *   report, its idempotency key, the audit entry and the command that starts its
 *   workflow (nothing else has to be up: the outbox starts it once Temporal is);
 * - the same request again (same Idempotency-Key, or same caller id and body from
 *   the same client): the first answer again, 200, nothing new;
 * - the same caller id with new figures: a new sighting of the incident, recorded
 *   in its metrics history; the incident is re-assessed and, if the aggregate now
 *   calls for a higher tier, raised through its workflow (never lowered).
 */
export async function acceptIncident(
  db: Db,
  principal: Principal,
  input: IncidentInput,
  options: { idempotencyKey?: string | undefined; requestId?: string },
): Promise<AcceptResult> {
  const clientId = principal.id;
  const hash = requestHash(input);
  const repeat = await findRepeat(db, clientId, input, options.idempotencyKey, hash);
  if (repeat) return repeat;
  const known = input.source.externalId ? await findByExternalId(db, clientId, input.source.externalId) : undefined;
  try {
    return known ? await recordSighting(db, principal, known, input, hash, options.requestId) : await openIncident(db, principal, input, hash, options);
  } catch (err) {
    // A concurrent duplicate won the race: answer with what it stored.
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
      const winner = await findRepeat(db, clientId, input, options.idempotencyKey, hash);
      if (winner) return winner;
      const opened = input.source.externalId ? await findByExternalId(db, clientId, input.source.externalId) : undefined;
      if (opened && !known) return recordSighting(db, principal, opened, input, hash, options.requestId);
    }
    throw err;
  }
}

async function openIncident(
  db: Db,
  principal: Principal,
  input: IncidentInput,
  hash: string,
  options: { idempotencyKey?: string | undefined; requestId?: string },
): Promise<AcceptResult> {
  const clientId = principal.id;
  const id = randomUUID();
  const reportId = randomUUID();
  const workflowId = incidentWorkflowId(id);
  const assessment = assessTier(input);
  const receivedAt = new Date().toISOString();
  const command: StartWorkflowCommand = {
    workflowId,
    input: {
      incidentId: id,
      title: input.title,
      ...(input.summary ? { summary: input.summary } : {}),
      source: input.source,
      topic: input.topic,
      ...(input.district ? { district: input.district } : {}),
      metrics: input.metrics,
      flags: input.flags,
      tier: assessment.tier,
      reasons: assessment.reasons,
      receivedAt,
      clientId,
    },
    staticSummary: `【${TIER_LABELS[assessment.tier]}】${input.title}`.slice(0, 200),
    staticDetails: [
      `**来源** ${input.source.outlet ?? input.source.platform ?? ''} ${input.source.url}`,
      `**区县** ${input.district ? DISTRICTS[input.district] : '未指明'}`,
      `**领域** ${TOPIC_LABELS[input.topic]}`,
      `**定级依据** ${assessment.reasons.map((r) => `${r.rule}→${TIER_LABELS[r.tier]}`).join(';') || '默认'}`,
    ].join('\n\n'),
  };

  await db.transaction().execute(async (trx) => {
    await insertIncident(trx, {
      id,
      clientId,
      externalId: input.source.externalId ?? null,
      title: input.title,
      summary: input.summary ?? null,
      source: JSON.stringify(input.source),
      topic: input.topic,
      districtCode: input.district ?? null,
      metrics: JSON.stringify(input.metrics),
      flags: JSON.stringify(input.flags),
      suggestedTier: input.suggestedTier ?? null,
      tier: assessment.tier,
      status: 'received',
      assessment: JSON.stringify(assessment),
      workflowId,
      policyVersion: null,
      requestHash: hash,
      createdAt: receivedAt,
      updatedAt: receivedAt,
    });
    await insertReport(trx, reportRow(reportId, id, clientId, input, hash, 'opened', 'opened', receivedAt));
    if (options.idempotencyKey) await insertIdempotencyKey(trx, { clientId, key: options.idempotencyKey, incidentId: id, requestHash: hash });
    await enqueue(trx, { kind: 'start_workflow', dedupeKey: workflowId, payload: command });
    await recordAudit(trx, {
      actor: { id: clientId, kind: principal.kind, ...(principal.unitId ? { unitId: principal.unitId } : {}) },
      action: 'incident.received',
      entity: 'incident',
      entityId: id,
      incidentId: id,
      after: { tier: assessment.tier, title: input.title, externalId: input.source.externalId, reportId },
      requestId: options.requestId ?? null,
    });
  });
  const incident = await findIncident(db, id);
  return { status: 202, incident: incident!, reportId, outcome: 'opened', tier: assessment.tier };
}

/**
 * A new sighting of a known incident (same caller id, new figures): stored as a
 * report, the incident's aggregate metrics and flags updated, and, when the
 * aggregate calls for a higher tier, the raise queued for its workflow, all in one
 * transaction. The incident row is locked so concurrent sightings add up.
 */
async function recordSighting(
  db: Db,
  principal: Principal,
  incident: IncidentRow,
  input: IncidentInput,
  hash: string,
  requestId: string | undefined,
): Promise<AcceptResult> {
  const reportId = randomUUID();
  const result = await db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('incidents').select(['tier', 'status']).where('id', '=', incident.id).forUpdate().executeTakeFirstOrThrow();
    const earlier = await reportsOf(trx, incident.id);
    const receivedAt = new Date().toISOString();
    const next = reassess([
      ...earlier,
      {
        externalId: input.source.externalId ?? null,
        source: input.source,
        metrics: input.metrics,
        flags: input.flags,
        suggestedTier: input.suggestedTier ?? null,
        receivedAt: new Date(receivedAt),
      },
    ]);
    const current = locked.tier;
    const raises = locked.status !== 'archived' && locked.status !== 'closed' && tierRank(next.assessment.tier) > tierRank(current);
    const outcome: ReportOutcome = raises ? 'reassessed' : 'joined';
    await insertReport(trx, reportRow(reportId, incident.id, principal.id, input, hash, outcome, 'caller_id', receivedAt));
    await trx
      .updateTable('incidents')
      .set({ metrics: JSON.stringify(next.metrics), flags: JSON.stringify(next.flags), updatedAt: sql`now()` })
      .where('id', '=', incident.id)
      .execute();
    if (raises) {
      const command: ReassessCommand = {
        workflowId: incident.workflowId,
        incidentId: incident.id,
        updateId: `reassess:${reportId}`,
        input: { actor: SYSTEM_INTAKE, tier: next.assessment.tier, reasons: next.assessment.reasons, reportId },
      };
      await enqueue(trx, { kind: 'update_workflow', dedupeKey: command.updateId, payload: command });
    }
    await recordAudit(trx, {
      actor: { id: principal.id, kind: principal.kind, ...(principal.unitId ? { unitId: principal.unitId } : {}) },
      action: raises ? 'incident.reassessed' : 'incident.report_joined',
      entity: 'report',
      entityId: reportId,
      incidentId: incident.id,
      before: { tier: current, metrics: incident.metrics },
      after: { tier: raises ? next.assessment.tier : current, metrics: next.metrics },
      requestId: requestId ?? null,
    });
    return { outcome, tier: raises ? next.assessment.tier : current };
  });
  return { status: 200, incident: (await findIncident(db, incident.id))!, reportId, ...result };
}

/** The incident's assessment from all its reports: aggregate metrics, every flag, the highest suggestion. */
function reassess(reports: readonly Pick<ReportRow, 'externalId' | 'source' | 'metrics' | 'flags' | 'suggestedTier' | 'receivedAt'>[]) {
  const metrics = aggregateMetrics(
    reports.map((r) => ({ sourceKey: r.externalId ?? String(r.source.url ?? ''), metrics: r.metrics, at: r.receivedAt.getTime() })),
  );
  const flags = [...new Set(reports.flatMap((r) => r.flags))];
  const suggested = reports.map((r) => r.suggestedTier).filter((t): t is Tier => t !== null);
  const assessment = assessTier({ metrics, flags, ...(suggested.length ? { suggestedTier: maxTier(...suggested) } : {}) });
  return { metrics, flags, assessment };
}

function reportRow(
  id: string,
  incidentId: string,
  clientId: string,
  input: IncidentInput,
  hash: string,
  outcome: ReportOutcome,
  matchRule: string,
  receivedAt: string,
) {
  return {
    id,
    incidentId,
    clientId,
    externalId: input.source.externalId ?? null,
    source: JSON.stringify(input.source),
    title: input.title,
    summary: input.summary ?? null,
    topic: input.topic,
    districtCode: input.district ?? null,
    metrics: JSON.stringify(input.metrics),
    flags: JSON.stringify(input.flags),
    suggestedTier: input.suggestedTier ?? null,
    requestHash: hash,
    outcome,
    matchRule,
    receivedAt,
  } as const;
}

/** The same request sent again: its first answer, or a 422 for a key reused with another body. */
async function findRepeat(
  db: Db | Transaction<Database>,
  clientId: string,
  input: IncidentInput,
  key: string | undefined,
  hash: string,
): Promise<AcceptResult | undefined> {
  if (key) {
    const found = await findByIdempotencyKey(db, clientId, key);
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
      return repeatOf(db, found.incident, hash);
    }
  }
  if (!input.source.externalId) return undefined;
  const report = await findReport(db, clientId, input.source.externalId, hash);
  if (!report) return undefined;
  const incident = (await findIncident(db, report.incidentId))!;
  return { status: 200, incident, reportId: report.id, outcome: report.outcome, tier: incident.tier };
}

async function repeatOf(db: Db | Transaction<Database>, incident: IncidentRow, hash: string): Promise<AcceptResult> {
  const report = await db
    .selectFrom('reports')
    .select(['id', 'outcome'])
    .where('incidentId', '=', incident.id)
    .where('requestHash', '=', hash)
    .orderBy('receivedAt')
    .executeTakeFirst();
  return { status: 200, incident, reportId: report?.id ?? incident.id, outcome: report?.outcome ?? 'opened', tier: incident.tier };
}
