import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '@yuqing/shared';
import { problems } from '@yuqing/http-kit';

/** The console's built files (the `@yuqing/console` package, built by `npm run build`). */
export const CONSOLE_ROOT = path.resolve(__dirname, '..', '..', '..', 'console', 'dist');

/** What the page needs to know that is not in the API: where dispatch and the Temporal Web UI answer. */
export function consoleConfig(config: Config) {
  return {
    dispatchUrl: config.DISPATCH_PUBLIC_URL.replace(/\/+$/, ''),
    temporalUiUrl: config.TEMPORAL_UI_URL.replace(/\/+$/, ''),
    temporalNamespace: config.TEMPORAL_NAMESPACE,
  };
}

/**
 * Serves the operators' console at `/console/`. The files hold no data and no
 * secret. Its pages have addresses of their own (`/console/incidents/<id>`,
 * `/console/tasks`): any path under /console without a file extension is the
 * page, so a link from a notification opens where it points. Hashed assets are
 * cached for good; the page itself is revalidated.
 */
export async function consoleRoutes(app: FastifyInstance, { config }: { config: Config }): Promise<void> {
  const built = existsSync(path.join(CONSOLE_ROOT, 'index.html'));
  const page = async (_request: unknown, reply: FastifyReply) => {
    if (!built) throw problems.unavailable('控制台尚未构建:请运行 npm run build (the console has not been built)', 60);
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', CONSOLE_ROOT);
  };
  await app.register(
    async (scope) => {
      await scope.register(fastifyStatic, {
        root: CONSOLE_ROOT,
        prefix: '/',
        index: false,
        cacheControl: false,
        setHeaders: (res, file) => {
          res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
        },
      });
      scope.get('/config.json', { schema: { hide: true } }, async (_request, reply) => {
        reply.header('cache-control', 'no-cache');
        return consoleConfig(config);
      });
      scope.get('/', { schema: { hide: true } }, page);
      // A page address (no extension) is the console; a missing file stays a 404.
      scope.setNotFoundHandler(async (request, reply) => {
        const last = request.url.split('?')[0]!.split('/').pop() ?? '';
        if (request.method === 'GET' && !last.includes('.')) return page(request, reply);
        throw problems.notFound(request.url.split('?')[0]!);
      });
    },
    { prefix: '/console' },
  );
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
}
