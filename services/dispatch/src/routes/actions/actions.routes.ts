import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { UpdateDefinition } from '@temporalio/client';
import { randomUUID, createHash } from 'node:crypto';
import { INCIDENT_STATUS_LABELS, LIVE_STATUSES, type Assignment, type Db, type DistrictCode } from '@yuqing/shared';
import { actorOf, HttpProblem, problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import {
  mergeUpdate,
  splitUpdate,
  acknowledgeUpdate,
  addTaskUpdate,
  approveUpdate,
  closeUpdate,
  completeTaskUpdate,
  reassignUpdate,
  reclassifyUpdate,
  refuseHandOffUpdate,
  renewTalkingPointsUpdate,
  requestHandOffUpdate,
  recordReleaseUpdate,
  returnTaskUpdate,
  submitReportUpdate,
  type IncidentState,
} from '@yuqing/workflows/messages';
import { updateIdFor } from '../../workflow/action-requests';
import { requireOutsideBodies, requireReleaseChannel, taskKindOf } from '../guards';
import { unreachableBodies } from '../../notifications/planner';
import type { IncidentWorkflowClient } from '../../workflow/incident-workflow.client';
import {
  AcknowledgeBody,
  AddTaskBody,
  ApproveBody,
  CloseBody,
  MergeBody,
  SplitBody,
  SplitAnswerSchema,
  CompleteTaskAnswerSchema,
  CompleteTaskBody,
  IncidentParams,
  IncidentStateSchema,
  ReassignBody,
  HandOffBody,
  RefuseHandOffBody,
  RenewTalkingPointsBody,
  ReclassifyBody,
  ReleaseBody,
  ReportBody,
  ReturnBody,
  TaskParams,
  UpdateHeaders,
} from './actions.schemas';

export interface ActionRoutesOptions {
  readonly db: Db;
  readonly workflows: IncidentWorkflowClient;
}

const responses = { 200: IncidentStateSchema, ...problemResponses(400, 401, 403, 404, 409, 422, 503) };

/**
 * Human steps as REST actions. Access is decided by `requireAccess` (who may act
 * on this incident, for which unit); each step then goes to the incident
 * workflow as an Update whose validator applies the plan's rules (whose task it
 * is, who already approved) and answers: 200 and the new state, or the refusal as
 * problem+json (e.g. 409 "talking points not yet approved").
 */
export const actionRoutes: FastifyPluginAsyncZod<ActionRoutesOptions> = async (app, { db, workflows }) => {
  const guard = app.requireScope('tasks:act');
  const tags = ['actions'];

  /** Runs a step as its Update, with an update id scoped to caller, incident and action. */
  async function run<Arg>(
    request: FastifyRequest,
    incidentId: string,
    action: string,
    def: UpdateDefinition<IncidentState, [Arg]>,
    arg: Arg,
  ): Promise<IncidentState> {
    const updateId = await updateIdFor(db, {
      principalId: request.principal.id,
      incidentId,
      action,
      key: request.headers['idempotency-key'] as string | undefined,
      request: { params: request.params, body: request.body ?? null },
    });
    return workflows.update(incidentId, def, arg, updateId);
  }

  app.post(
    '/v1/incidents/:id/actions/acknowledge',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'A unit acknowledges the warning (签收)',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: AcknowledgeBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      const { unitId: named, proxy } = request.body;
      await requireAccess(app.access, p, 'incident.act', { incidentId: request.params.id, unitId: named, proxy: proxy !== undefined });
      const unitId = named ?? p.unitId!;
      return run(request, request.params.id, 'acknowledge', acknowledgeUpdate, { actor: actorOf(p, request.id), unitId, ...(proxy ? { proxy } : {}) });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/report',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'A unit reports its investigation: interim or final (调查处置反馈)',
        description:
          'The three questions of plan §6.1 in `findings`, the dispositions chosen (§6.2), measures taken and result. An interim report keeps the task open.',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: ReportBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      const { unitId: named, proxy, ...report } = request.body;
      await requireAccess(app.access, p, 'incident.act', { incidentId: request.params.id, unitId: named, proxy: proxy !== undefined });
      const unitId = named ?? p.unitId!;
      return run(request, request.params.id, 'report', submitReportUpdate, { actor: actorOf(p, request.id), unitId, report, ...(proxy ? { proxy } : {}) });
    },
  );

  app.post(
    '/v1/incidents/:id/tasks/:taskKey/complete',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Record a task as done: digest, meeting, guidance, liaison, tracking, review…',
        description:
          'A step that reports to outside bodies (talking_points_reported, report_upward) names them in `sendTo`; dispatch sends what was reported ' +
          'to each body’s channels, and `warnings` names any body that has none (the step is recorded; send it another way).',
        params: TaskParams,
        headers: UpdateHeaders,
        body: CompleteTaskBody,
        response: { ...responses, 200: CompleteTaskAnswerSchema },
      },
    },
    async (request) => {
      const p = request.principal;
      const { id, taskKey } = request.params;
      const { proxy, sendTo } = request.body;
      // Whose task it is, the workflow knows: its validator refuses another unit's step.
      await requireAccess(app.access, p, 'incident.act', { incidentId: id, unitId: undefined, proxy: proxy !== undefined });
      // 报送 names outside bodies of the directory, which the workflow cannot see.
      await requireOutsideBodies(db, await taskKindOf(db, id, taskKey), request.body);
      const state = await run(request, id, `complete:${taskKey}`, completeTaskUpdate, { actor: actorOf(p, request.id), taskKey, ...request.body });
      if (!sendTo?.length) return state;
      // Recorded either way; a body nobody can be sent to is the office's to reach another way, so it is told now.
      const unreachable = await unreachableBodies(db, sendTo);
      if (unreachable.length === 0) return state;
      const names = new Map((await db.selectFrom('units').select(['id', 'name']).where('id', 'in', unreachable).execute()).map((u) => [u.id, u.name]));
      return {
        ...state,
        warnings: unreachable.map((unitId) => ({
          field: `body.sendTo.${sendTo.indexOf(unitId)}`,
          message: `${names.get(unitId) ?? unitId}未配置通知渠道,报送内容未能自动送达,请另行报送并在目录中为其添加渠道 (no channel: not sent)`,
        })),
      };
    },
  );

  app.post(
    '/v1/incidents/:id/tasks/:taskKey/approve',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Approve as one of the roles the task needs (审批/审定/签转), in person',
        params: TaskParams,
        headers: UpdateHeaders,
        body: ApproveBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      await requireAccess(app.access, p, 'incident.approve', { incidentId: request.params.id, role: request.body.role });
      return run(request, request.params.id, `approve:${request.params.taskKey}:${request.body.role}`, approveUpdate, {
        actor: actorOf(p, request.id),
        taskKey: request.params.taskKey,
        ...request.body,
      });
    },
  );

  app.post(
    '/v1/incidents/:id/tasks/:taskKey/return',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Return work with the reason (退回): the wording or response plan by an approver, a unit’s report by the opinion office',
        params: TaskParams,
        headers: UpdateHeaders,
        body: ReturnBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      // Who may return what (an approver, the office) is the workflow's rule.
      await requireAccess(app.access, p, 'incident.act', { incidentId: request.params.id, unitId: undefined, proxy: false });
      return run(request, request.params.id, `return:${request.params.taskKey}`, returnTaskUpdate, {
        actor: actorOf(p, request.id),
        taskKey: request.params.taskKey,
        ...request.body,
      });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/release',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Record a release to the public (发布), which needs approved talking points',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: ReleaseBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      await requireAccess(app.access, p, 'incident.act', { incidentId: request.params.id, unitId: undefined, proxy: false });
      // A release names its channel (两微一端, plan §8(三)) by id: an unknown or retired one is refused before the workflow sees it.
      await requireReleaseChannel(db, request.body.channel);
      return run(request, request.params.id, 'release', recordReleaseUpdate, { actor: actorOf(p, request.id), ...request.body });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/add-task',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Add a step the facts need (检验检测, 移送公安) with its deadline; the opinion office assesses',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: AddTaskBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      await requireAccess(app.access, p, 'incident.coordinate', { incidentId: request.params.id });
      return run(request, request.params.id, `add-task:${request.body.kind}`, addTaskUpdate, { actor: actorOf(p, request.id), ...request.body });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/reclassify',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Raise or lower the tier (调整等级)',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: ReclassifyBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      await requireAccess(app.access, p, 'incident.coordinate', { incidentId: request.params.id });
      return run(request, request.params.id, 'reclassify', reclassifyUpdate, { actor: actorOf(p, request.id), ...request.body });
    },
  );

  /** The unit that may take over a part: a department, an affiliated unit or a district bureau, with the role it would hold. */
  async function handlingUnit(unitId: string, field: string): Promise<Assignment & { districtCode: DistrictCode | null }> {
    const unit = await db.selectFrom('units').select(['id', 'name', 'kind', 'districtCode']).where('id', '=', unitId).executeTakeFirst();
    if (!unit) throw problems.invalid(`unknown unit ${unitId}`, [{ field: `body.${field}`, pointer: `/body/${field}`, message: '没有该单位 (no such unit)' }]);
    if (unit.kind !== 'district_bureau' && unit.kind !== 'department' && unit.kind !== 'affiliated') {
      throw problems.invalid(`unit ${unitId} cannot handle incidents`, [
        { field: `body.${field}`, pointer: `/body/${field}`, message: '只能交由职能处室、局属单位或区县局承办 (not a department or district bureau)' },
      ]);
    }
    return {
      unitId: unit.id,
      unitName: unit.name,
      role: unit.kind === 'district_bureau' ? 'district_bureau' : 'responsible_department',
      districtCode: unit.districtCode,
    };
  }

  app.post(
    '/v1/incidents/:id/actions/hand-off',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Ask the opinion office to hand one’s own unit’s part on (申请移交, “not ours”); the clock keeps running until it decides',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: HandOffBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      const { toUnitId, reason } = request.body;
      await requireAccess(app.access, p, 'incident.handOff', { incidentId: request.params.id });
      if (toUnitId) await handlingUnit(toUnitId, 'toUnitId');
      return run(request, request.params.id, 'hand-off', requestHandOffUpdate, {
        actor: actorOf(p, request.id),
        unitId: p.unitId!,
        ...(toUnitId ? { toUnitId } : {}),
        reason,
      });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/refuse-hand-off',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'The opinion office refuses a unit’s hand-off request: the unit keeps its part and its clock',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: RefuseHandOffBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      await requireAccess(app.access, p, 'incident.reassign', { incidentId: request.params.id });
      return run(request, request.params.id, 'refuse-hand-off', refuseHandOffUpdate, { actor: actorOf(p, request.id), ...request.body });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/reassign',
    {
      onRequest: guard,
      schema: {
        tags,
        summary:
          'The opinion office hands a unit’s part to another unit (改派), confirming its hand-off request if it made one; the original clock keeps running unless newClockReason grants a new one',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: ReassignBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      const { fromUnitId, toUnitId, reason, newClockReason } = request.body;
      await requireAccess(app.access, p, 'incident.reassign', { incidentId: request.params.id });
      const { districtCode, ...to } = await handlingUnit(toUnitId, 'toUnitId');
      return run(request, request.params.id, 'reassign', reassignUpdate, {
        actor: actorOf(p, request.id),
        fromUnitId,
        to,
        reason,
        ...(districtCode ? { district: districtCode } : {}),
        ...(newClockReason ? { newClockReason } : {}),
      });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/renew-talking-points',
    {
      onRequest: guard,
      schema: {
        tags,
        summary:
          'The leadership group decides follow-up talking points are needed (会商研判, plan §7(三)): the wording is redone and approved afresh before the next release',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: RenewTalkingPointsBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      await requireAccess(app.access, p, 'incident.renewTalkingPoints', { incidentId: request.params.id });
      return run(request, request.params.id, 'renew-talking-points', renewTalkingPointsUpdate, { actor: actorOf(p, request.id), ...request.body });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/close',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'End handling (处置结束); major and critical then need a review',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: CloseBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      await requireAccess(app.access, p, request.body.force ? 'incident.forceClose' : 'incident.coordinate', { incidentId: request.params.id });
      return run(request, request.params.id, 'close', closeUpdate, { actor: actorOf(p, request.id), ...request.body });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/merge',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Merge this incident into another one, which carries on (合并舆情)',
        description:
          'The opinion office says two incidents are one event. This one ends as merged: its reports move to the survivor, its open tasks end as covered by the survivor’s, ' +
          'and the survivor takes at least its tier (clocks re-planned) and what its units had done; both timelines and both workflow histories show it.',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: MergeBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal;
      const { intoIncidentId, reason } = request.body;
      await requireAccess(app.access, p, 'incident.correct', { incidentId: request.params.id, otherIncidentId: intoIncidentId });
      if (intoIncidentId === request.params.id) {
        throw problems.invalid('不能并入自身 (an incident cannot be merged into itself)', [
          { field: 'body.intoIncidentId', pointer: '/body/intoIncidentId', message: '不能并入自身' },
        ]);
      }
      const survivor = await db.selectFrom('incidents').select('status').where('id', '=', intoIncidentId).executeTakeFirstOrThrow();
      if (!(LIVE_STATUSES as readonly string[]).includes(survivor.status)) {
        // Names the field: the console shows it beside the survivor the person picked.
        const why = `并入的舆情状态为“${INCIDENT_STATUS_LABELS[survivor.status]}”,不能再承接`;
        throw new HttpProblem(409, 'conflict', 'Conflict', `${why} (the survivor is ${survivor.status})`, [
          { field: 'body.intoIncidentId', pointer: '/body/intoIncidentId', message: why },
        ]);
      }
      return run(request, request.params.id, 'merge', mergeUpdate, { actor: actorOf(p, request.id), intoIncidentId, reason });
    },
  );

  app.post(
    '/v1/incidents/:id/actions/split',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'Split reports out into a new incident (拆分舆情)',
        description:
          'The opinion office says some reports are another event: they move to a new incident, assessed from them, with a workflow of its own; ' +
          'this incident keeps the others (at least one). Both timelines and this workflow’s history show it. Answers with this incident’s state and `newIncidentId`.',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: SplitBody,
        response: { ...responses, 200: SplitAnswerSchema },
      },
    },
    async (request) => {
      const p = request.principal;
      const id = request.params.id;
      const { reportIds, reason } = request.body;
      await requireAccess(app.access, p, 'incident.correct', { incidentId: id, otherIncidentId: undefined });
      const key = request.headers['idempotency-key'];
      const updateId = await updateIdFor(db, {
        principalId: p.id,
        incidentId: id,
        action: 'split',
        key,
        request: { params: request.params, body: request.body },
      });
      // With a key, a retry opens the same incident (and finds its split done).
      const newIncidentId = key ? uuidOf(updateId) : randomUUID();
      const found = await db.selectFrom('reports').select(['id', 'incidentId']).where('id', 'in', reportIds).execute();
      const done = found.length === reportIds.length && found.every((r) => r.incidentId === newIncidentId);
      if (!done) {
        const foreign = reportIds.flatMap((rid, i) => (found.some((r) => r.id === rid && r.incidentId === id) ? [] : [i]));
        if (foreign.length) {
          throw problems.invalid(
            `${foreign.length} 条报告不属于本舆情 (not reports of this incident)`,
            foreign.map((i) => ({ field: `body.reportIds.${i}`, pointer: `/body/reportIds/${i}`, message: '不是本舆情的报告' })),
          );
        }
        const { n } = await db
          .selectFrom('reports')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('incidentId', '=', id)
          .executeTakeFirstOrThrow();
        if (Number(n) <= reportIds.length) {
          throw problems.invalid('不能拆出全部报告,本舆情须至少保留一条 (at least one report stays)', [
            { field: 'body.reportIds', pointer: '/body/reportIds', message: '不能拆出全部报告,本舆情须至少保留一条' },
          ]);
        }
      }
      const state = await workflows.update(id, splitUpdate, { actor: actorOf(p, request.id), reportIds, newIncidentId, reason }, updateId);
      return { ...state, newIncidentId };
    },
  );

  app.get(
    '/v1/incidents/:id/state',
    {
      onRequest: app.requireScope('reports:read'),
      schema: { tags, summary: 'The live state from the workflow: phase, open tasks, every deadline', params: IncidentParams, response: responses },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      return workflows.state(request.params.id);
    },
  );
};

/** A version-4-shaped UUID derived from an update id: the same retried split opens the same incident. */
function uuidOf(updateId: string): string {
  const h = createHash('sha256').update(updateId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
