import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config, Db, Logger } from '@yuqing/shared';
import { productionCredentialProblem } from './production';
import { problems } from './problem';

/**
 * Listens, and on SIGTERM/SIGINT stops taking connections, lets in-flight
 * requests finish (`draining` ends the long-lived ones), then runs `cleanup`
 * (consumers, pools). A port already in use exits with a clear message.
 */
export async function serve(
  app: FastifyInstance,
  options: { host: string; port: number; log: Logger; db: Db; config: Config; drainMs?: number; draining?: () => void; cleanup?: () => Promise<void> },
): Promise<void> {
  const refusal = await productionCredentialProblem(options.db, options.config);
  if (refusal) {
    options.log.fatal(`refusing to start in production: ${refusal}`);
    process.exit(78);
  }
  let closing = false;
  // While draining, new requests (often on kept-alive connections) get a clean 503
  // with `Connection: close` instead of a connection reset; in-flight ones finish.
  app.addHook('onRequest', async (request) => {
    if (!closing || request.url === '/healthz') return;
    throw problems.unavailable('服务正在停止,请重试 (shutting down; retry)', 1);
  });
  // Every answer sent while draining ends its connection, the in-flight ones' too: a client
  // reads it and opens a new connection (refused: it retries elsewhere) instead of writing its
  // next request on this one as the drain closes it (a cut request, seen in a clean-clone run).
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    options.log.info({ signal }, 'draining: refusing new requests, finishing in-flight ones');
    // No new connections from now on: a client is refused at once (and retries, or HAProxy
    // sends it to the other instance) instead of being accepted by the kernel and reset when
    // the listener finally closes (three resets in a clean-clone run). net's close, not
    // http's: that one would also drop the kept-alive connections idle for a moment between
    // a client's requests, which their clients are about to write to.
    const connectionsEnded = new Promise<void>((resolve) => net.Server.prototype.close.call(app.server, () => resolve()));
    // Long-lived answers (the console's event streams) never end by themselves: their owner ends them.
    options.draining?.();
    await new Promise((r) => setTimeout(r, options.drainMs ?? 1_500));
    const timer = setTimeout(() => {
      options.log.error('drain took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    timer.unref();
    try {
      // Kept-alive connections idle all this while are closed (a client writing on one at this
      // very instant is the one case left that is cut), and the answers under way finish.
      app.server.closeIdleConnections();
      await connectionsEnded;
      await app.close();
      await options.cleanup?.();
      options.log.info('stopped');
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      options.log.fatal(`port ${options.port} is already in use: stop what holds it (make down) or set another port`);
      process.exit(98);
    }
    throw err;
  }
}
