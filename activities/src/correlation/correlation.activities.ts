import { ApplicationFailure } from '@temporalio/common';
import { sql, type Transaction } from 'kysely';
import {
  enqueue,
  INCIDENT_COLUMNS,
  LIVE_STATUSES,
  maxTier,
  reaggregate,
  readCorrelationRules,
  recordAudit,
  startWorkflowCommand,
  tierRank,
  type Actor,
  type AssessmentReason,
  type Database,
  type IncidentRow,
  type TaskKind,
  type Tier,
} from '@yuqing/shared';
import type { IncidentActivityDeps } from '../incident/incident.activities';

/** What the merged incident hands the survivor (the workflows' `absorb` Update). */
export interface AbsorbCommandInput {
  readonly actor: Actor;
  readonly fromIncidentId: string;
  readonly fromTier: Tier;
  readonly reason: string;
  readonly reportCount: number;
  readonly tasksDone: readonly { readonly key: string; readonly kind: TaskKind; readonly doneAt?: string; readonly doneBy?: Actor }[];
  readonly assessment?: { readonly tier: Tier; readonly reasons: readonly AssessmentReason[] };
}

const auditActor = (a: Actor) => ({ id: a.id, kind: a.kind, ...(a.unitId ? { unitId: a.unitId } : {}), ...(a.personId ? { personId: a.personId } : {}) });

/** Both incidents' rows locked, in id order (two merges crossing each other never deadlock). */
async function lockBoth(trx: Transaction<Database>, a: string, b: string): Promise<Map<string, IncidentRow>> {
  const rows = await trx.selectFrom('incidents').select(INCIDENT_COLUMNS).where('id', 'in', [a, b].sort()).orderBy('id').forUpdate().execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * The records side of the office correcting the grouping (issue 15): a merge moves
 * the reports to the survivor and queues the survivor's `absorb` Update; a split
 * opens an incident for the reports moved out. Each is one transaction, safe to
 * run again (a retried activity finds the work done and changes nothing twice).
 */
export function createCorrelationActivities({ db, onCommitted }: IncidentActivityDeps) {
  return {
    /** Moves a merged incident's reports to the survivor, re-adds the survivor's figures, and queues its `absorb` Update. */
    async mergeIncidentRecords(input: {
      fromIncidentId: string;
      intoIncidentId: string;
      actor: Actor;
      reason: string;
      fromTier: Tier;
      tasksDone: AbsorbCommandInput['tasksDone'];
    }): Promise<{ reports: number }> {
      const rules = await readCorrelationRules(db);
      const result = await db.transaction().execute(async (trx) => {
        const rows = await lockBoth(trx, input.fromIncidentId, input.intoIncidentId);
        const into = rows.get(input.intoIncidentId);
        if (!into) throw ApplicationFailure.nonRetryable(`没有舆情 ${input.intoIncidentId} (no such incident)`, 'not_found');
        // A post seen in both incidents (POST /v1/incidents opens an incident whatever the URL): one
        // report per source is current (reports_current_source), so its newest stays current, as when a source is measured again.
        await sql`
          update reports r set current = false
          where r.current and r.incident_id in (${input.fromIncidentId}, ${input.intoIncidentId})
            and exists (
              select 1 from reports o
              where o.current and o.incident_id in (${input.fromIncidentId}, ${input.intoIncidentId}) and o.incident_id <> r.incident_id
                and o.source_url = r.source_url and (o.received_at, o.id) > (r.received_at, r.id))`.execute(trx);
        const moved = await trx
          .updateTable('reports')
          .set({ incidentId: input.intoIncidentId })
          .where('incidentId', '=', input.fromIncidentId)
          .returning('id')
          .execute();
        // Moved on an earlier attempt whose answer was lost: the count is in the survivor's queued Update.
        const earlier = moved.length
          ? undefined
          : await trx.selectFrom('outbox').select('payload').where('dedupeKey', '=', `absorb:${input.fromIncidentId}`).executeTakeFirst();
        const count = earlier ? (earlier.payload as { input: AbsorbCommandInput }).input.reportCount : moved.length;
        await trx
          .updateTable('incidents')
          .set({ mergedInto: input.intoIncidentId, updatedAt: sql`now()` })
          .where('id', '=', input.fromIncidentId)
          .execute();
        const { assessment } = await reaggregate(trx, input.intoIncidentId, rules.spreadWindowMs);
        const asked = maxTier(into.tier, into.assessment.tier);
        const command: { workflowId: string; incidentId: string; updateId: string; update: 'absorb'; input: AbsorbCommandInput } = {
          workflowId: into.workflowId,
          incidentId: into.id,
          updateId: `absorb:${input.fromIncidentId}`,
          update: 'absorb',
          input: {
            actor: input.actor,
            fromIncidentId: input.fromIncidentId,
            fromTier: input.fromTier,
            reason: input.reason,
            reportCount: count,
            tasksDone: input.tasksDone,
            ...(tierRank(assessment.tier) > tierRank(asked) ? { assessment: { tier: assessment.tier, reasons: assessment.reasons } } : {}),
          },
        };
        const queued = await enqueue(trx, { kind: 'update_workflow', dedupeKey: command.updateId, payload: command });
        if (queued > 0) {
          // The records' side; the workflow's `merged` event has an audit entry of its own.
          await recordAudit(trx, {
            actor: auditActor(input.actor),
            action: 'reports.moved',
            entity: 'incident',
            entityId: input.fromIncidentId,
            incidentId: input.fromIncidentId,
            before: { incidentId: input.fromIncidentId, status: rows.get(input.fromIncidentId)?.status },
            after: { incidentId: input.intoIncidentId, reports: count, reason: input.reason, merge: true },
            requestId: input.actor.requestId ?? null,
          });
        }
        return { reports: count };
      });
      onCommitted?.();
      return result;
    },

    /**
     * Opens an incident for reports split out of another one: the new incident takes
     * its first report's description, its figures are its reports' aggregate, its
     * workflow is queued; both incidents' figures are re-added.
     */
    async splitIncidentRecords(input: {
      incidentId: string;
      newIncidentId: string;
      reportIds: readonly string[];
      actor: Actor;
      reason: string;
    }): Promise<{ reports: number }> {
      const rules = await readCorrelationRules(db);
      const result = await db.transaction().execute(async (trx) => {
        const rows = await lockBoth(trx, input.incidentId, input.newIncidentId);
        if (rows.has(input.newIncidentId)) {
          // Done on an earlier attempt.
          const n = await trx
            .selectFrom('reports')
            .select(sql<number>`count(*)::int`.as('n'))
            .where('incidentId', '=', input.newIncidentId)
            .executeTakeFirstOrThrow();
          return { reports: n.n };
        }
        const original = rows.get(input.incidentId);
        if (!original || !(LIVE_STATUSES as readonly string[]).includes(original.status))
          throw ApplicationFailure.nonRetryable('舆情不在处置中,不能拆分 (the incident is not live)', 'conflict');
        const reports = await trx
          .selectFrom('reports')
          .select([
            'id',
            'incidentId',
            'clientId',
            'externalId',
            'source',
            'title',
            'summary',
            'topic',
            'districtCode',
            'flags',
            'suggestedTier',
            'requestHash',
            'receivedAt',
          ])
          .where('id', 'in', [...input.reportIds])
          .orderBy('receivedAt')
          .orderBy('id')
          .execute();
        const foreign = input.reportIds.filter((id) => !reports.some((r) => r.id === id && r.incidentId === input.incidentId));
        if (foreign.length) throw ApplicationFailure.nonRetryable(`报告不属于本舆情:${foreign.join('、')} (not reports of this incident)`, 'invalid');
        const left = await trx
          .selectFrom('reports')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('incidentId', '=', input.incidentId)
          .where('id', 'not in', [...input.reportIds])
          .executeTakeFirstOrThrow();
        if (left.n === 0) throw ApplicationFailure.nonRetryable('不能拆出全部报告,本舆情须至少保留一条 (at least one report stays)', 'invalid');

        const first = reports[0]!;
        const now = new Date().toISOString();
        await trx
          .insertInto('incidents')
          .values({
            id: input.newIncidentId,
            clientId: first.clientId,
            // The caller id belongs to the report (and may name the incident it first opened).
            externalId: null,
            title: first.title,
            summary: first.summary,
            source: JSON.stringify(first.source),
            topic: first.topic,
            districtCode: first.districtCode,
            metrics: JSON.stringify({}),
            flags: JSON.stringify([]),
            suggestedTier: null,
            tier: 'general',
            status: 'received',
            assessment: JSON.stringify({ tier: 'general', reasons: [] }),
            workflowId: `incident-${input.newIncidentId}`,
            policyVersion: null,
            requestHash: first.requestHash,
            createdAt: now,
            updatedAt: now,
            lastReportAt: first.receivedAt,
          })
          .execute();
        await trx
          .updateTable('reports')
          .set({ incidentId: input.newIncidentId, matchRule: 'split', matchScore: 1, exemplar: sql<boolean>`id = ${first.id}` })
          .where('id', 'in', [...input.reportIds])
          .execute();
        const opened = await reaggregate(trx, input.newIncidentId, rules.spreadWindowMs);
        await reaggregate(trx, input.incidentId, rules.spreadWindowMs);
        // The original keeps at least one wording to be matched by.
        await sql`update reports set exemplar = true where id = (select id from reports where incident_id = ${input.incidentId} order by received_at limit 1)`.execute(
          trx,
        );
        const suggested = reports.map((r) => r.suggestedTier).filter((t): t is Tier => t !== null);
        await trx
          .updateTable('incidents')
          .set({ tier: opened.assessment.tier, suggestedTier: suggested.length ? maxTier(...suggested) : null })
          .where('id', '=', input.newIncidentId)
          .execute();
        const command = startWorkflowCommand({
          incidentId: input.newIncidentId,
          report: {
            title: first.title,
            summary: first.summary ?? undefined,
            source: first.source,
            topic: first.topic,
            district: first.districtCode ?? undefined,
            flags: opened.flags,
          },
          metrics: opened.metrics,
          tier: opened.assessment.tier,
          reasons: opened.assessment.reasons,
          receivedAt: now,
          clientId: first.clientId,
        });
        await enqueue(trx, { kind: 'start_workflow', dedupeKey: command.workflowId, payload: command });
        // The records' side; the workflows' `split` and `received` events have audit entries of their own.
        await recordAudit(trx, {
          actor: auditActor(input.actor),
          action: 'reports.moved',
          entity: 'incident',
          entityId: input.newIncidentId,
          incidentId: input.incidentId,
          before: { incidentId: input.incidentId },
          after: { incidentId: input.newIncidentId, reportIds: input.reportIds, reason: input.reason, split: true, tier: opened.assessment.tier },
          requestId: input.actor.requestId ?? null,
        });
        return { reports: reports.length };
      });
      onCommitted?.();
      return result;
    },
  };
}
