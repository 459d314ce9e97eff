import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkReadiness, problemDocument, type HealthCheck, type Logger, type Registry } from '@yuqing/shared';

/** A loopback port nobody listens on now, for the SDK's own exporter (it cannot tell which port it took). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const SDK_SCRAPE_TIMEOUT_MS = 2_000;

/**
 * The worker's `GET /metrics`: our registry followed by what the Temporal SDK's
 * own exporter (Core, on a loopback port of its own) shows, so Prometheus scrapes
 * one target per worker. The SDK's families are all `temporal_*`, ours `yuqing_*`,
 * Node's `process_*`/`nodejs_*`: the two texts never name the same family.
 */
export async function startWorkerMetricsServer(options: {
  readonly registry: Registry;
  readonly host: string;
  readonly port: number;
  /** `host:port` of the SDK's Prometheus exporter. */
  readonly sdkAddress?: string;
  readonly log: Logger;
  /** What `GET /readyz` asks, by name: the worker is ready when every check is up. */
  readonly checks?: Readonly<Record<string, HealthCheck>>;
}): Promise<{ readonly port: number; close(): Promise<void> }> {
  const { registry, sdkAddress, log } = options;
  let sdkFailureLogged = 0;
  const sdkText = async (): Promise<string> => {
    if (!sdkAddress) return '';
    try {
      const res = await fetch(`http://${sdkAddress}/metrics`, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`SDK exporter answered ${res.status}`);
      return await res.text();
    } catch (err) {
      // Ours are still served; the missing temporal_* series show the gap.
      if (Date.now() - sdkFailureLogged > 60_000) log.warn({ err }, 'the Temporal SDK metrics could not be read');
      sdkFailureLogged = Date.now();
      return '';
    }
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    // HEAD as GET, as the services answer it (Node sends no body for a HEAD): probes that only look at the status use it.
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (read && path === '/readyz') {
      void readiness(options.checks ?? {}).then(
        (answer) => res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body)),
        (err: unknown) => {
          log.warn({ err }, 'readiness could not be checked');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('readiness unavailable\n');
        },
      );
      return;
    }
    if (!read || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    Promise.all([registry.metrics(), sdkText()]).then(
      ([ours, sdk]) => res.writeHead(200, { 'content-type': registry.contentType }).end(`${ours}\n${sdk}`),
      (err: unknown) => {
        log.warn({ err }, 'metrics could not be collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * `GET /readyz` as the services answer it: 200 with each check's state, or a 503
 * problem naming the checks that are down. Start scripts and the tests wait for it,
 * so work goes to a worker that polls, not one still loading.
 */
async function readiness(checks: Readonly<Record<string, HealthCheck>>) {
  const { ready, checks: states, down } = await checkReadiness(Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, { check }])));
  if (ready) return { status: 200, headers: { 'content-type': 'application/json' }, body: { status: 'ready', checks: states } };
  return {
    status: 503,
    headers: { 'content-type': 'application/problem+json', 'retry-after': '5' },
    body: problemDocument({
      status: 503,
      code: 'unavailable',
      title: 'Service Unavailable',
      detail: `not ready: ${down.join(', ')} down`,
      instance: '/readyz',
    }),
  };
}
