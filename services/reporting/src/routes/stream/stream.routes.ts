import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { followedIncidents, HttpProblem, problemResponses, problems } from '@yuqing/http-kit';
import type { LiveFeed, LiveIncidentMessage } from '../../live/live-feed';

/** Whether an Accept header admits an event stream (absent and wildcards do). */
function acceptsEventStream(accept: string | undefined): boolean {
  return !accept || /(^|,)\s*(text\/event-stream|text\/\*|\*\/\*)\s*(;|,|$)/i.test(accept);
}

/** The units an event's task snapshots name (a unit handed a task follows the incident from then on). */
function unitsNamed(message: LiveIncidentMessage): string[] {
  const tasks = (message.entry.data as { tasks?: readonly { unitId?: string | null }[] } | undefined)?.tasks ?? [];
  return tasks.flatMap((t) => (t.unitId ? [t.unitId] : []));
}

/**
 * `GET /v1/stream`: Server-Sent Events for the console. First `ready`, then one
 * `incident` event per event of an incident the caller may follow (all for the
 * office and leaders; a district its own) as this process sees it (id = event id;
 * data = the incident id and the timeline entry), and `resync` when the viewer
 * should reload because events may have been missed. Comment lines keep idle
 * connections open through proxies. The key goes in the Authorization header
 * (the console reads the stream with fetch(); EventSource cannot send headers).
 */
export const streamRoutes: FastifyPluginAsyncZod<{ live: LiveFeed; watching: () => boolean }> = async (app, { live, watching }) => {
  app.get(
    '/v1/stream',
    {
      onRequest: app.requireScope('reports:read'),
      sse: { kind: 'only', heartbeat: true },
      schema: {
        tags: ['stream'],
        summary: 'Live incident events for the console (text/event-stream)',
        response: problemResponses(401, 403, 406, 503),
      },
      preHandler: async (request) => {
        // Answered here so that a refusal is problem+json like every other error.
        if (!acceptsEventStream(request.headers.accept)) {
          throw new HttpProblem(406, 'not_acceptable', 'Not Acceptable', 'this endpoint only produces text/event-stream');
        }
      },
    },
    async (request, reply) => {
      // The office and leaders follow every incident; a district or department the ones it may read.
      const follows = await followedIncidents(app.access, request.principal);
      // A viewer let in just before the drain began would be left open after closeAll, holding the drain.
      if (live.closed) throw problems.unavailable('服务正在停止,请重新连接 (shutting down; reconnect)', 1);
      reply.sse.keepAlive();
      const subscription = live.subscribe(
        (message) => reply.sse.send(message),
        () => reply.sse.close(),
        (message) => follows(message.incidentId, unitsNamed(message)),
      );
      reply.sse.onClose(() => subscription.close());
      // Sending commits the headers; the handler may then return while the stream stays open.
      await reply.sse.send({ event: 'ready', data: { at: new Date().toISOString(), live: watching() } });
      request.log.debug({ viewers: live.viewers }, 'viewer connected to the live stream');
    },
  );
};
