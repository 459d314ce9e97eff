import type { FastifyInstance } from 'fastify';
import type { Config, Db, Logger } from '@yuqing/shared';
import { productionCredentialProblem } from './production';

/**
 * Listens, and on SIGTERM/SIGINT stops taking connections, lets in-flight
 * requests finish, then runs `cleanup` (consumers, pools). A port already in use
 * exits with a clear message.
 */
export async function serve(
  app: FastifyInstance,
  options: { host: string; port: number; log: Logger; db: Db; config: Config; cleanup?: () => Promise<void> },
): Promise<void> {
  const refusal = await productionCredentialProblem(options.db, options.config);
  if (refusal) {
    options.log.fatal(`refusing to start in production: ${refusal}`);
    process.exit(78);
  }
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    options.log.info({ signal }, 'draining in-flight requests');
    const timer = setTimeout(() => {
      options.log.error('drain took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    timer.unref();
    try {
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
