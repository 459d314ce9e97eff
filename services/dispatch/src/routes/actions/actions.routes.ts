import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Assignment, Db } from '@yuqing/shared';
import { actorOf, assertIncidentVisible, hasScope, problemResponses, problems, type Principal } from '@yuqing/http-kit';
import {
  acknowledgeUpdate,
  approveUpdate,
  closeUpdate,
  completeTaskUpdate,
  reassignUpdate,
  reclassifyUpdate,
  recordReleaseUpdate,
  submitReportUpdate,
} from '@yuqing/workflows/messages';
import type { IncidentWorkflowClient } from '../../workflow/incident-workflow.client';
import { isCoordinator } from '../guards';
import {
  AcknowledgeBody,
  ApproveBody,
  CloseBody,
  CompleteTaskBody,
  IncidentParams,
  IncidentStateSchema,
  ReassignBody,
  ReclassifyBody,
  ReleaseBody,
  ReportBody,
  TaskParams,
  UpdateHeaders,
} from './actions.schemas';

export interface ActionRoutesOptions {
  readonly db: Db;
  readonly workflows: IncidentWorkflowClient;
}

/** The unit a unit-step is done for: the caller's own, unless a coordinator names another. */
function actingUnit(p: Principal, requested: string | undefined): string {
  const unitId = requested ?? p.unitId;
  if (!unitId) throw problems.invalid('unitId is required for a caller without a unit', [{ field: 'body.unitId', pointer: '/body/unitId', message: 'required' }]);
  if (unitId !== p.unitId && !hasScope(p, 'admin')) throw problems.forbidden(`只能以本单位名义办理 (you act for ${p.unitId ?? 'no unit'}, not ${unitId})`);
  return unitId;
}

function requireCoordinator(p: Principal): void {
  if (!isCoordinator(p)) throw problems.forbidden('仅舆情办或领导小组可办理 (only the opinion office or the leadership group may do this)');
}

const updateId = (request: FastifyRequest) => (request.headers['idempotency-key'] as string | undefined) ?? `req-${request.id}`;

const responses = { 200: IncidentStateSchema, ...problemResponses(400, 401, 403, 404, 409, 422, 503) };

/**
 * Human steps as REST actions. Each forwards to the incident workflow's Update
 * and answers with its verdict: 200 and the new state, or the rejection as
 * problem+json (e.g. 409 "talking points not yet approved").
 */
export const actionRoutes: FastifyPluginAsyncZod<ActionRoutesOptions> = async (app, { db, workflows }) => {
  const guard = app.requireScope('tasks:act');
  const tags = ['actions'];
  // Nobody acts on, or learns of, an incident outside their reach (404, not 403).
  app.addHook('preHandler', async (request) => {
    const params = request.params as { id?: string } | undefined;
    if (params?.id && request.principal) await assertIncidentVisible(db, request.principal, params.id);
  });

  app.post(
    '/v1/incidents/:id/actions/acknowledge',
    { onRequest: guard, schema: { tags, summary: 'A unit acknowledges the warning (签收)', params: IncidentParams, headers: UpdateHeaders, body: AcknowledgeBody, response: responses } },
    async (request) => {
      const p = request.principal!;
      const unitId = actingUnit(p, request.body.unitId);
      return workflows.update(request.params.id, acknowledgeUpdate, { actor: actorOf(p, request.id), unitId }, updateId(request));
    },
  );

  app.post(
    '/v1/incidents/:id/actions/report',
    {
      onRequest: guard,
      schema: {
        tags,
        summary: 'A unit reports its investigation: interim or final (调查处置反馈)',
        description: 'The three questions of plan §6.1 in `findings`, the dispositions chosen (§6.2), measures taken and result. An interim report keeps the task open.',
        params: IncidentParams,
        headers: UpdateHeaders,
        body: ReportBody,
        response: responses,
      },
    },
    async (request) => {
      const p = request.principal!;
      const { unitId: requested, ...report } = request.body;
      const unitId = actingUnit(p, requested);
      return workflows.update(request.params.id, submitReportUpdate, { actor: actorOf(p, request.id), unitId, report }, updateId(request));
    },
  );

  app.post(
    '/v1/incidents/:id/tasks/:taskKey/complete',
    {
      onRequest: guard,
      schema: { tags, summary: 'Record a task as done: digest, meeting, guidance, liaison, tracking, review…', params: TaskParams, headers: UpdateHeaders, body: CompleteTaskBody, response: responses },
    },
    async (request) => {
      const p = request.principal!;
      const state = await workflows.state(request.params.id);
      const task = state.tasks.find((t) => t.key === request.params.taskKey);
      if (task?.unitId && task.unitId !== p.unitId && !isCoordinator(p)) throw problems.forbidden(`该事项由 ${task.unitId} 办理`);
      return workflows.update(request.params.id, completeTaskUpdate, { actor: actorOf(p, request.id), taskKey: request.params.taskKey, ...request.body }, updateId(request));
    },
  );

  app.post(
    '/v1/incidents/:id/tasks/:taskKey/approve',
    {
      onRequest: guard,
      schema: { tags, summary: 'Approve as one of the roles the task needs (审批/审定/签转)', params: TaskParams, headers: UpdateHeaders, body: ApproveBody, response: responses },
    },
    async (request) => {
      const p = request.principal!;
      if (!hasScope(p, 'admin') && !p.roles?.includes(request.body.role)) throw problems.forbidden(`需由${request.body.role}审批 (you do not hold the role ${request.body.role})`);
      return workflows.update(request.params.id, approveUpdate, { actor: actorOf(p, request.id), taskKey: request.params.taskKey, ...request.body }, updateId(request));
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
      const p = request.principal!;
      requireCoordinator(p);
      return workflows.update(request.params.id, recordReleaseUpdate, { actor: actorOf(p, request.id), ...request.body }, updateId(request));
    },
  );

  app.post(
    '/v1/incidents/:id/actions/reclassify',
    { onRequest: guard, schema: { tags, summary: 'Raise or lower the tier (调整等级)', params: IncidentParams, headers: UpdateHeaders, body: ReclassifyBody, response: responses } },
    async (request) => {
      const p = request.principal!;
      requireCoordinator(p);
      return workflows.update(request.params.id, reclassifyUpdate, { actor: actorOf(p, request.id), ...request.body }, updateId(request));
    },
  );

  app.post(
    '/v1/incidents/:id/actions/reassign',
    {
      onRequest: guard,
      schema: { tags, summary: 'Hand a unit’s part to another unit (改派); its clock starts then', params: IncidentParams, headers: UpdateHeaders, body: ReassignBody, response: responses },
    },
    async (request) => {
      const p = request.principal!;
      const { fromUnitId, toUnitId, reason } = request.body;
      // The unit itself may say "not ours"; the office may move it anywhere.
      if (p.unitId !== fromUnitId && !isCoordinator(p)) throw problems.forbidden('只能改派本单位承办的舆情');
      const unit = await db.selectFrom('units').select(['id', 'name', 'kind']).where('id', '=', toUnitId).executeTakeFirst();
      if (!unit) throw problems.invalid(`unknown unit ${toUnitId}`, [{ field: 'body.toUnitId', pointer: '/body/toUnitId', message: 'no such unit' }]);
      if (unit.kind !== 'district_bureau' && unit.kind !== 'department' && unit.kind !== 'affiliated') {
        throw problems.invalid(`unit ${toUnitId} cannot handle incidents`, [{ field: 'body.toUnitId', pointer: '/body/toUnitId', message: 'not a department or district bureau' }]);
      }
      const to: Assignment = { unitId: unit.id, unitName: unit.name, role: unit.kind === 'district_bureau' ? 'district_bureau' : 'responsible_department' };
      return workflows.update(request.params.id, reassignUpdate, { actor: actorOf(p, request.id), fromUnitId, to, reason }, updateId(request));
    },
  );

  app.post(
    '/v1/incidents/:id/actions/close',
    { onRequest: guard, schema: { tags, summary: 'End handling (处置结束); major and critical then need a review', params: IncidentParams, headers: UpdateHeaders, body: CloseBody, response: responses } },
    async (request) => {
      const p = request.principal!;
      requireCoordinator(p);
      if (request.body.force && !hasScope(p, 'admin') && p.unitId !== 'leadership-group') throw problems.forbidden('强制结束须由领导小组决定');
      return workflows.update(request.params.id, closeUpdate, { actor: actorOf(p, request.id), ...request.body }, updateId(request));
    },
  );

  app.get(
    '/v1/incidents/:id/state',
    { onRequest: app.requireScope('reports:read'), schema: { tags, summary: 'The live state from the workflow: phase, open tasks, every deadline', params: IncidentParams, response: responses } },
    async (request) => workflows.state(request.params.id),
  );
};
