import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import {
  ACCOUNTABILITY_OUTCOME_LABELS,
  ACCOUNTABILITY_OUTCOMES,
  ANSWERABLE_VIA_LABELS,
  cachedUnitNames,
  durationText,
  EVENT_LABELS,
  formatBeijing,
  recordAudit,
  ROLE_LABELS,
  TASK_LABELS,
  type Db,
  type UnitNames,
} from '@yuqing/shared';
import { actorOf, hasAccess, problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import { findAccountability, listAccountability, setOutcome, type AccountabilityRecord } from '../../accountability/accountability.repository';
import { AccountabilityListSchema, AccountabilityParams, AccountabilityQuery, AccountabilityViewSchema, OutcomeBody } from './accountability.schemas';

function view(r: AccountabilityRecord, names: UnitNames, now: number) {
  const lateMs = (r.resolvedAt?.getTime() ?? now) - r.dueAt.getTime();
  return {
    id: r.id,
    incidentId: r.incidentId,
    incidentTitle: r.incidentTitle,
    cause: r.cause,
    causeLabel: EVENT_LABELS[r.cause],
    taskKey: r.taskKey,
    taskKind: r.taskKind,
    taskLabel: TASK_LABELS[r.taskKind],
    stage: r.stage,
    owner: r.owner,
    ownerLabel: r.owner ? ROLE_LABELS[r.owner] : null,
    unitId: r.unitId,
    unitName: r.unitId ? (names.get(r.unitId) ?? null) : null,
    dueAt: r.dueAt.toISOString(),
    dueAtLocal: formatBeijing(r.dueAt),
    occurredAt: r.occurredAt.toISOString(),
    occurredAtLocal: formatBeijing(r.occurredAt),
    overdueMs: Number(r.overdueMs),
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
    lateMs,
    lateText: durationText(lateMs),
    onDuty: r.onDuty.map((p) => ({ ...p, viaLabel: ANSWERABLE_VIA_LABELS[p.via] })),
    outcome:
      r.outcome && r.outcomeBy && r.outcomeAt
        ? {
            code: r.outcome,
            label: ACCOUNTABILITY_OUTCOME_LABELS[r.outcome],
            note: r.outcomeNote ?? '',
            by: {
              id: r.outcomeBy.id,
              kind: r.outcomeBy.kind,
              ...(r.outcomeBy.name ? { name: r.outcomeBy.name } : {}),
              ...(r.outcomeBy.unitId ? { unitId: r.outcomeBy.unitId } : {}),
            },
            at: r.outcomeAt.toISOString(),
            atLocal: formatBeijing(r.outcomeAt),
          }
        : null,
  };
}
type View = ReturnType<typeof view>;

/** The spreadsheet the office hands on: one row per record, Chinese headings, Beijing time. */
const CSV_COLUMNS: readonly [string, (v: View) => string | number][] = [
  ['记录编号', (v) => v.id],
  ['舆情标题', (v) => v.incidentTitle ?? ''],
  ['舆情编号', (v) => v.incidentId],
  ['类型', (v) => v.causeLabel],
  ['督办级次', (v) => (v.stage === null ? '' : v.stage + 1)],
  ['事项', (v) => v.taskLabel],
  ['责任单位', (v) => v.unitName ?? v.unitId ?? ''],
  ['当时值班人员', (v) => v.onDuty.map((p) => `${p.name}(${p.viaLabel})`).join('、')],
  ['截止时间', (v) => v.dueAtLocal],
  ['发生时间', (v) => v.occurredAtLocal],
  ['办结时间', (v) => (v.resolvedAt ? formatBeijing(v.resolvedAt) : '未办结')],
  ['超时', (v) => v.lateText],
  ['超时(分钟)', (v) => Math.round(v.lateMs / 60_000)],
  ['处理结果', (v) => v.outcome?.label ?? '待处理'],
  ['处理说明', (v) => v.outcome?.note ?? ''],
  ['记录人', (v) => (v.outcome ? (v.outcome.by.name ?? v.outcome.by.id) : '')],
  ['记录时间', (v) => v.outcome?.atLocal ?? ''],
];

/** A spreadsheet must not run what a cell says: text that starts like a formula is kept as text. */
const asText = (cell: string | number) => (typeof cell === 'string' && /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);

/**
 * The accountability record (问责记录, plan §8(五)3): each lapse and escalation
 * against the late unit, who was on duty, how late, and the outcome the office
 * records. The office and leaders see every unit's; a unit its own (and its stations').
 */
export const accountabilityRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const names = cachedUnitNames(db);
  const tags = ['accountability'];
  const read = app.requireScope('reports:read');

  /** The records a caller asked for within its reach. */
  async function listFor(request: FastifyRequest, q: z.infer<typeof AccountabilityQuery>) {
    const p = request.principal;
    let unitIds: string[] | undefined;
    if (q.unit) {
      await requireAccess(app.access, p, 'unit.records', { unitId: q.unit });
      unitIds = [q.unit];
    } else if (!(await hasAccess(app.access, p, 'bureau.view', {}))) {
      if (!p.unitId) throw problems.forbidden('系统密钥不代表任何单位,没有问责记录 (a key without a unit has no accountability record)');
      unitIds = [p.unitId];
    }
    const rows = await listAccountability(db, {
      ...(unitIds ? { unitIds } : {}),
      ...(q.from ? { from: new Date(q.from) } : {}),
      ...(q.to ? { to: new Date(q.to) } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(q.incident ? { incidentId: q.incident } : {}),
      limit: q.limit,
    });
    const unitNames = await names();
    const now = Date.now();
    return rows.map((r) => view(r, unitNames, now));
  }

  app.get(
    '/v1/accountability',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Accountability records per unit and period: each lapse and escalation, who was on duty, how late, the outcome (问责记录)',
        querystring: AccountabilityQuery,
        response: { 200: AccountabilityListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const items = await listFor(request, request.query);
      const byOutcome: Record<string, number> = Object.fromEntries(['pending', ...ACCOUNTABILITY_OUTCOMES].map((o) => [o, 0]));
      for (const i of items) byOutcome[i.outcome?.code ?? 'pending']! += 1;
      return { items, byOutcome };
    },
  );

  app.get(
    '/v1/accountability.csv',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'The same records as a spreadsheet (CSV, UTF-8 with BOM, Chinese headings)',
        querystring: AccountabilityQuery,
        response: { 200: z.string().describe('text/csv: the records, one a row'), ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const items = await listFor(request, request.query);
      const csv = stringify([CSV_COLUMNS.map(([heading]) => heading), ...items.map((v) => CSV_COLUMNS.map(([, cell]) => asText(cell(v))))], {
        record_delimiter: '\r\n',
      });
      // The BOM lets spreadsheet programs read the Chinese as UTF-8.
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="accountability.csv"').send(`\uFEFF${csv}`);
    },
  );

  app.get(
    '/v1/accountability/:id',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'One accountability record',
        params: AccountabilityParams,
        response: { 200: AccountabilityViewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await findAccountability(db, request.params.id);
      // Another unit's record is "not found", like another district's incident.
      if (!row || !(await hasAccess(app.access, request.principal, 'unit.records', { unitId: row.unitId ?? '' })))
        throw problems.notFound(`accountability record ${request.params.id}`);
      return view(row, await names(), Date.now());
    },
  );

  app.put(
    '/v1/accountability/:id/outcome',
    {
      onRequest: app.requireScope('tasks:act'),
      schema: {
        tags,
        summary: 'Record the outcome: 约谈 (talk), 通报 (circular) or 免责 (exempt), with a note (the office or the leadership group)',
        description: 'Recording again replaces the outcome; each change is in the audit log with who made it.',
        params: AccountabilityParams,
        body: OutcomeBody,
        response: { 200: AccountabilityViewSchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const p = request.principal;
      const before = await findAccountability(db, request.params.id);
      if (!before || !(await hasAccess(app.access, p, 'unit.records', { unitId: before.unitId ?? '' })))
        throw problems.notFound(`accountability record ${request.params.id}`);
      await requireAccess(app.access, p, 'accountability.decide', { unitId: before.unitId });
      const actor = actorOf(p, request.id);
      const after = await db.transaction().execute(async (trx) => {
        await setOutcome(trx, before.id, { outcome: request.body.outcome, note: request.body.note, by: actor });
        const updated = (await findAccountability(trx, before.id))!;
        await recordAudit(trx, {
          actor,
          requestId: request.id,
          action: 'accountability.outcome_recorded',
          entity: 'accountability_record',
          entityId: before.id,
          incidentId: before.incidentId,
          before: before.outcome ? { outcome: before.outcome, note: before.outcomeNote } : null,
          after: { outcome: updated.outcome, note: updated.outcomeNote, unitId: updated.unitId },
        });
        return updated;
      });
      return view(after, await names(), Date.now());
    },
  );
};
