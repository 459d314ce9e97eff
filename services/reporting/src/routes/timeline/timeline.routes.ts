import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { describeEvent, EVENT_LABELS, EVENT_SCHEMA_VERSION, formatBeijing, type Db, type IncidentEvent, type TimelineEntryRow } from '@yuqing/shared';
import { assertIncidentVisible, problemResponses } from '@yuqing/http-kit';
import { listTimeline, unitNames } from '../../timeline/timeline.repository';
import { IncidentParams, TimelineSchema } from './timeline.schemas';

export function timelineEntryView(row: TimelineEntryRow, names: Map<string, string>) {
  const event = {
    id: row.eventId,
    type: row.type,
    incidentId: row.incidentId,
    tier: row.tier,
    occurredAt: row.occurredAt.toISOString(),
    schemaVersion: EVENT_SCHEMA_VERSION,
    data: row.data,
  } as IncidentEvent;
  return {
    eventId: row.eventId,
    type: event.type,
    label: EVENT_LABELS[event.type],
    tier: event.tier,
    occurredAt: event.occurredAt,
    occurredAtLocal: formatBeijing(row.occurredAt),
    text: describeEvent(event, (id) => names.get(id)),
    ...(row.data.actor ? { actor: row.data.actor } : {}),
    data: row.data,
  };
}

/** An incident's history as the events recorded it. */
export const timelineRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/incidents/:id/timeline',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['timeline'],
        summary: 'Everything that happened to one incident, in order (处置时间线)',
        params: IncidentParams,
        response: { 200: TimelineSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await assertIncidentVisible(db, request.principal!, request.params.id);
      const [rows, names] = await Promise.all([listTimeline(db, request.params.id), unitNames(db)]);
      return { incidentId: request.params.id, entries: rows.map((row) => timelineEntryView(row, names)) };
    },
  );
};
