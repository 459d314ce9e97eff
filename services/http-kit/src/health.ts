import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';

export type HealthCheck = () => Promise<boolean>;

/**
 * `GET /healthz`: the process is up. `GET /readyz`: each dependency answers;
 * 503 names the ones that do not. `required: false` checks are reported but do
 * not make the service unready (intake keeps accepting while Temporal is down).
 */
export const healthPlugin = fp<{ checks: Record<string, { check: HealthCheck; required?: boolean }> }>(
  async (app: FastifyInstance, { checks }) => {
    const status = z.object({ status: z.string() });
    app.get('/healthz', { schema: { hide: true, response: { 200: status } } as object }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } as object }, async (_request, reply) => {
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, { check, required = true }]) => {
          const ok = await Promise.race([check().catch(() => false), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]);
          return { name, ok, required };
        }),
      );
      const ready = results.every((r) => r.ok || !r.required);
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'unavailable',
        checks: Object.fromEntries(results.map((r) => [r.name, r.ok ? 'up' : r.required ? 'down' : 'down (degraded)'])),
      });
    });
  },
  { name: 'yuqing-health' },
);
