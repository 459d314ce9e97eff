import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '@yuqing/shared';
import { AccessRepository, type AccessFacts } from './access.repository';

declare module 'fastify' {
  interface FastifyInstance {
    /** The directory facts access decisions read; pass to `requireAccess`. */
    access: AccessFacts;
  }
}

/** Makes the access repository (one per service, with its short cache) available to every route. */
export const accessPlugin = fp<{ db: Db }>(
  async (app: FastifyInstance, { db }) => {
    app.decorate('access', new AccessRepository(db));
  },
  { name: 'yuqing-access' },
);
