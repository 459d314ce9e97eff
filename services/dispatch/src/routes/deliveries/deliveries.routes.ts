import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CHANNEL_KIND_LABELS, DELIVERY_STATUS_LABELS, DELIVERY_SUBJECT_LABELS, EVENT_LABELS, recordAudit, type Db, type DeliveryRow } from '@yuqing/shared';
import { actorOf, hasAccess, problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import { findDelivery, listAttempts, listDeliveries, requeueDelivery } from '../../notifications/delivery.repository';
import { DeliveryDetailSchema, DeliveryListQuery, DeliveryListSchema, DeliveryParams, DeliveryViewSchema } from './deliveries.schemas';

export function deliveryView(d: DeliveryRow) {
  const { message } = d;
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    eventLabel: d.eventType === 'summary_report' ? DELIVERY_SUBJECT_LABELS[d.eventType] : EVENT_LABELS[d.eventType],
    incidentId: d.incidentId,
    tier: d.tier,
    summaryReportId: d.summaryReportId,
    channelId: d.channelId,
    channelKind: d.channelKind,
    channelLabel: CHANNEL_KIND_LABELS[d.channelKind],
    unitId: d.unitId,
    personId: d.personId,
    personName: d.personName,
    roles: d.roles,
    title: message.title,
    status: d.status,
    statusLabel: DELIVERY_STATUS_LABELS[d.status],
    attempts: d.attempts,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    deadAt: d.deadAt?.toISOString() ?? null,
    latencyMs: d.latencyMs,
  };
}

/**
 * The delivery log and the dead-letter list: every notification with its
 * attempts, status and latency; an operator puts a dead letter back in its queue.
 */
export const deliveryRoutes: FastifyPluginAsyncZod<{ db: Db; onRequeued?: () => void }> = async (app, { db, onRequeued }) => {
  const tags = ['notifications'];
  const read = app.requireScope('reports:read');

  app.get(
    '/v1/deliveries',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'The delivery log; `status=dead` is the dead-letter list',
        querystring: DeliveryListQuery,
        response: { 200: DeliveryListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const p = request.principal;
      const q = request.query;
      const seesAll = await hasAccess(app.access, p, 'bureau.view', {});
      const unitId = q.unit ?? (seesAll ? undefined : p.unitId);
      if (!unitId && !seesAll) throw problems.forbidden('未指明单位:无单位的密钥看不到通知记录 (a key without a unit sees no deliveries)');
      if (unitId) await requireAccess(app.access, p, 'unit.records', { unitId });
      const rows = await listDeliveries(db, {
        ...(q.incident ? { incidentId: q.incident } : {}),
        ...(unitId ? { unitId } : {}),
        ...(q.event ? { eventId: q.event } : {}),
        ...(q.status ? { status: q.status } : {}),
        limit: q.limit,
      });
      return { items: rows.map(deliveryView) };
    },
  );

  app.get(
    '/v1/deliveries/:id',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'One delivery: its message and every attempt',
        params: DeliveryParams,
        response: { 200: DeliveryDetailSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await findDelivery(db, request.params.id);
      if (!row) throw problems.notFound(`delivery ${request.params.id}`);
      await requireAccess(app.access, request.principal, 'unit.records', { unitId: row.unitId });
      const { message } = row;
      const log = await listAttempts(db, row.id);
      return {
        ...deliveryView(row),
        message: {
          title: message.title,
          text: message.text,
          markdown: message.markdown,
          links: { ...message.links },
          ...(message.dueAt ? { dueAt: message.dueAt } : {}),
        },
        log: log.map((a) => ({
          attempt: a.attempt,
          startedAt: a.startedAt.toISOString(),
          durationMs: a.durationMs,
          ok: a.ok,
          statusCode: a.statusCode,
          error: a.error,
        })),
      };
    },
  );

  app.post(
    '/v1/deliveries/:id/retry',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Retry a dead letter now (人工重试), with a fresh set of attempts',
        description:
          'For the unit’s directory editors and the opinion office. 409 unless the delivery is dead. The receiver gets the same event and delivery ids, so it can tell a repeat.',
        params: DeliveryParams,
        response: { 202: DeliveryViewSchema, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const found = await findDelivery(db, request.params.id);
      if (!found) throw problems.notFound(`delivery ${request.params.id}`);
      await requireAccess(app.access, p, 'delivery.retry', { unitId: found.unitId });
      const row = await db.transaction().execute(async (trx) => {
        const before = await findDelivery(trx, request.params.id);
        if (!before) throw problems.notFound(`delivery ${request.params.id}`);
        const requeued = await requeueDelivery(trx, before.id);
        if (!requeued) throw problems.conflict(`只能重试发送失败的通知 (delivery is ${before.status}, not dead)`);
        await recordAudit(trx, {
          actor: actorOf(p),
          action: 'delivery.retried',
          entity: 'delivery',
          entityId: before.id,
          incidentId: before.incidentId,
          before: { status: before.status, attempts: before.attempts, lastError: before.lastError },
          after: { status: requeued.status },
          requestId: request.id,
        });
        return requeued;
      });
      onRequeued?.();
      return reply.code(202).send(deliveryView(row));
    },
  );
};
