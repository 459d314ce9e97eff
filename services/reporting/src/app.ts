import fp from 'fastify-plugin';
import { databaseReachable, type Config, type Db } from '@yuqing/shared';
import { authPlugin, healthPlugin, openapiPlugin, problemPlugin, securityPlugin } from '@yuqing/http-kit';
import { timelineRoutes } from './routes/timeline/timeline.routes';

export interface ReportingDeps {
  readonly db: Db;
  readonly config: Config;
  readonly natsConnected: () => boolean;
}

/** The reporting service as a plugin: timelines, digests, statistics and the operators' console. */
export const reportingApp = fp<ReportingDeps>(
  async (app, deps) => {
    await app.register(problemPlugin);
    await app.register(securityPlugin, { perMinute: deps.config.RATE_LIMIT_PER_MINUTE });
    await app.register(openapiPlugin, {
      title: '舆情应急 · reporting',
      description: 'Timelines, digests and statistics of incidents, and the operators’ console.',
    });
    await app.register(healthPlugin, {
      checks: {
        database: { check: () => databaseReachable(deps.db) },
        nats: { check: async () => deps.natsConnected() },
      },
    });
    await app.register(authPlugin, { db: deps.db });
    await app.register(timelineRoutes, { db: deps.db });
  },
  { name: 'yuqing-reporting' },
);
