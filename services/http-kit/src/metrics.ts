import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram } from 'prom-client';
import { METRIC_NAMES, type Registry } from '@yuqing/shared';

/** Where a request matched no route: one label value, never the raw URL (unbounded, and it may carry what a caller typed). */
const UNMATCHED = 'unmatched';

/**
 * `GET /metrics` (Prometheus text, no key: it holds counts and route templates,
 * never a key, an address or a person; exempt from the rate limits) and the
 * request rate, latency and errors of every route, labelled by the route's
 * template (`/v1/incidents/:id`), method and status. Register it first: it
 * counts every route registered after it.
 */
export const metricsPlugin = fp<{ registry: Registry }>(
  async (app: FastifyInstance, { registry }) => {
    const labelNames = ['method', 'route', 'status_code'] as const;
    const requests = new Counter({
      name: METRIC_NAMES.httpRequests,
      help: 'HTTP requests answered, by method, route template and status code',
      labelNames,
      registers: [registry],
    });
    const duration = new Histogram({
      name: METRIC_NAMES.httpDuration,
      help: 'Time to answer an HTTP request in seconds, by method, route template and status code',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? UNMATCHED;
      if (route === '/metrics') return;
      const labels = { method: request.method, route, status_code: String(reply.statusCode) };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1_000);
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });
  },
  { name: 'yuqing-metrics' },
);
