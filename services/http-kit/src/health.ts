import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { checkReadiness, type HealthCheck } from '@yuqing/shared';
import { problems, sendProblem } from './problem';

export type { HealthCheck };

/**
 * `GET /healthz`: the process is up. `GET /readyz`: each dependency answers;
 * a 503 problem names the ones that do not. `required: false` checks are reported but do
 * not make the service unready (intake keeps accepting while Temporal is down).
 */
export const healthPlugin = fp<{ checks: Record<string, { check: HealthCheck; required?: boolean }> }>(
  async (app: FastifyInstance, { checks }) => {
    const status = z.object({ status: z.string() });
    app.get('/healthz', { schema: { hide: true, response: { 200: status } } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
      const readiness = await checkReadiness(checks);
      // Unready is an error like any other: problem+json, naming the checks that failed (never their addresses).
      if (!readiness.ready) return sendProblem(reply, request, problems.unavailable(`not ready: ${readiness.down.join(', ')} down`));
      return reply.send({ status: 'ready', checks: readiness.checks });
    });
  },
  { name: 'yuqing-health' },
);
