import { createHash, randomUUID } from 'node:crypto';
import {
  assessTier,
  DISTRICTS,
  enqueue,
  incidentWorkflowId,
  recordAudit,
  TIER_LABELS,
  TOPIC_LABELS,
  type Db,
  type DistrictCode,
  type IncidentInput,
  type IncidentRow,
} from '@yuqing/shared';
import type { IncidentWorkflowInput } from '@yuqing/workflows/messages';
import { HttpProblem, type Principal } from '@yuqing/http-kit';
import { findByExternalId, findByIdempotencyKey, findIncident, insertIdempotencyKey, insertIncident } from './incident.repository';

/** What the outbox keeps to start an incident's workflow once Temporal answers. */
export interface StartWorkflowCommand {
  readonly workflowId: string;
  readonly input: IncidentWorkflowInput;
  readonly staticSummary: string;
  readonly staticDetails: string;
}

export type AcceptResult = { readonly status: 202 | 200; readonly incident: IncidentRow };

/** A stable hash of a request: the same body sent twice hashes the same. */
export function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

const UNIQUE_VIOLATION = '23505';

/**
 * Accepts one incident: assesses its tier and, in one transaction, stores it,
 * its idempotency key, the audit entry and the command that starts its workflow.
 * Nothing else has to be up: the outbox starts the workflow once Temporal is.
 * A retry (same Idempotency-Key, or same caller id from the same client) gets
 * the first incident back with 200, also when two arrive at the same moment.
 */
export async function acceptIncident(
  db: Db,
  principal: Principal,
  input: IncidentInput,
  options: { idempotencyKey?: string | undefined; requestId?: string },
): Promise<AcceptResult> {
  const clientId = principal.id;
  const hash = requestHash(input);
  const existing = await findExisting(db, clientId, input, options.idempotencyKey, hash);
  if (existing) return { status: 200, incident: existing };

  const id = randomUUID();
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
      `**区县** ${input.district ? DISTRICTS[input.district as DistrictCode] : '未指明'}`,
      `**领域** ${TOPIC_LABELS[input.topic]}`,
      `**定级依据** ${assessment.reasons.map((r) => `${r.rule}→${TIER_LABELS[r.tier]}`).join(';') || '默认'}`,
    ].join('\n\n'),
  };

  try {
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
      if (options.idempotencyKey) await insertIdempotencyKey(trx, { clientId, key: options.idempotencyKey, incidentId: id, requestHash: hash });
      await enqueue(trx, { kind: 'start_workflow', dedupeKey: workflowId, payload: command });
      await recordAudit(trx, {
        actor: { id: clientId, kind: principal.kind, ...(principal.unitId ? { unitId: principal.unitId } : {}) },
        action: 'incident.received',
        entity: 'incident',
        entityId: id,
        incidentId: id,
        after: { tier: assessment.tier, title: input.title, externalId: input.source.externalId },
        requestId: options.requestId ?? null,
      });
    });
  } catch (err) {
    // A concurrent duplicate won the race: answer with its incident.
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
      const winner = await findExisting(db, clientId, input, options.idempotencyKey, hash);
      if (winner) return { status: 200, incident: winner };
    }
    throw err;
  }
  const incident = await findIncident(db, id);
  return { status: 202, incident: incident! };
}

async function findExisting(db: Db, clientId: string, input: IncidentInput, key: string | undefined, hash: string): Promise<IncidentRow | undefined> {
  if (key) {
    const found = await findByIdempotencyKey(db, clientId, key);
    if (found) {
      if (found.requestHash !== hash) {
        throw new HttpProblem(
          422,
          'idempotency_key_reused',
          'Unprocessable Content',
          'this Idempotency-Key was already used with a different request body',
          [{ field: 'headers.idempotency-key', pointer: '/headers/idempotency-key', message: 'reused with a different body' }],
        );
      }
      return found.incident;
    }
  }
  if (input.source.externalId) return findByExternalId(db, clientId, input.source.externalId);
  return undefined;
}
