import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The console's files: plain HTML, CSS and JavaScript modules, no build step. */
export const CONSOLE_ROOT = path.resolve(__dirname, '..', '..', '..', 'console');

/**
 * Serves the operators' console at `/console/`. The files hold no data and no
 * secret: the operator's key is entered in the page and sent with each API call.
 */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: CONSOLE_ROOT, prefix: '/console/', index: false, maxAge: '5m' });
  // The page itself, at /console and /console/ alike (the router ignores trailing slashes; asset paths are absolute).
  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.sendFile('index.html'));
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
}
