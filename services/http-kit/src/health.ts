import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { problems, sendProblem } from './problem';

export type HealthCheck = () => Promise<boolean>;

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
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, { check, required = true }]) => {
          let timer: NodeJS.Timeout | undefined;
          const ok = await Promise.race([check().catch(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 2_000)))]);
          clearTimeout(timer);
          return { name, ok, required };
        }),
      );
      const down = results.filter((r) => !r.ok && r.required).map((r) => r.name);
      // Unready is an error like any other: problem+json, naming the checks that failed (never their addresses).
      if (down.length) return sendProblem(reply, request, problems.unavailable(`not ready: ${down.join(', ')} down`));
      return reply.send({
        status: 'ready',
        checks: Object.fromEntries(results.map((r) => [r.name, r.ok ? 'up' : 'down (degraded)'])),
      });
    });
  },
  { name: 'yuqing-health' },
);
