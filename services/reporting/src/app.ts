import sse from '@fastify/sse';
import fp from 'fastify-plugin';
import { createMetricsRegistry, databaseReachable, type Config, type Db, type Registry } from '@yuqing/shared';
import {
  accessPlugin,
  accountRoutes,
  authOptions,
  authPlugin,
  healthPlugin,
  metricsPlugin,
  openapiPlugin,
  inputGuardPlugin,
  problemPlugin,
  securityOptions,
  securityPlugin,
} from '@yuqing/http-kit';
import { LiveFeed } from './live/live-feed';
import { documentMaker } from './pdf/pdf-thread';
import { accountabilityRoutes } from './routes/accountability/accountability.routes';
import { archiveRoutes } from './routes/archive/archive.routes';
import { consoleRoutes } from './routes/console/console.routes';
import { digestRoutes } from './routes/digest/digest.routes';
import { incidentRoutes } from './routes/incidents/incidents.routes';
import { meRoutes } from './routes/me/me.routes';
import { reviewRoutes } from './routes/review/review.routes';
import { labelRoutes } from './routes/labels/labels.routes';
import { reportRoutes } from './routes/reports/reports.routes';
import { dashboardRoutes } from './routes/stats/dashboard.routes';
import { statsRoutes } from './routes/stats/stats.routes';
import { summaryRoutes } from './routes/summary/summary.routes';
import { streamRoutes } from './routes/stream/stream.routes';
import { timelineRoutes } from './routes/timeline/timeline.routes';

export interface ReportingDeps {
  readonly db: Db;
  readonly config: Config;
  /** The process's metrics registry (served at /metrics with the routes' own); one of its own when not given. */
  readonly metrics?: Registry;
  readonly natsConnected: () => boolean;
  /** Where live events are fanned out to console viewers (fed by `runLiveSource`). */
  readonly live: LiveFeed;
  /** True while the live source reads the stream. */
  readonly liveWatching: () => boolean;
}

/**
 * Only this origin, no inline scripts or styles, no framing: the console is
 * built files from here talking to this API and to dispatch (its tasks and steps).
 */
const contentSecurityPolicy = (config: Config) => ({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    fontSrc: ["'self'"],
    connectSrc: ["'self'", new URL(config.DISPATCH_PUBLIC_URL).origin],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

/** The reporting service as a plugin: timelines, digests, statistics, the live stream and the operators' console. */
export const reportingApp = fp<ReportingDeps>(
  async (app, deps) => {
    await app.register(metricsPlugin, { registry: deps.metrics ?? createMetricsRegistry('reporting', { processMetrics: false }) });
    await app.register(problemPlugin);
    await app.register(inputGuardPlugin);
    await app.register(securityPlugin, securityOptions(deps.config, contentSecurityPolicy(deps.config)));
    await app.register(openapiPlugin, {
      title: '舆情应急 · reporting',
      description: 'Timelines, digests, archive records and statistics of incidents, the live stream, and the operators’ console (/console/).',
    });
    await app.register(healthPlugin, {
      checks: {
        database: { check: () => databaseReachable(deps.db) },
        nats: { check: async () => deps.natsConnected() },
        // Without it the console still works, only without live updates.
        live: { check: async () => deps.liveWatching(), required: false },
      },
    });
    await app.register(sse, { heartbeatInterval: 15_000 });
    await app.register(authPlugin, authOptions(deps.db, deps.config));
    await app.register(accessPlugin, { db: deps.db });
    // People sign in on any of the three services; the session (in PostgreSQL) is accepted by all.
    await app.register(accountRoutes, { db: deps.db, config: deps.config });
    await app.register(timelineRoutes, { db: deps.db });
    await app.register(incidentRoutes, { db: deps.db, config: deps.config });
    // The PDF documents: the Chinese faces found when the first is asked for, the documents made on a thread of their own.
    const documents = documentMaker(deps.config.PDF_CJK_FONT);
    app.addHook('onClose', async () => documents.thread.close());
    await app.register(archiveRoutes, { db: deps.db, config: deps.config, documents });
    await app.register(reportRoutes, { db: deps.db });
    await app.register(digestRoutes, { db: deps.db, config: deps.config, documents });
    await app.register(reviewRoutes, { db: deps.db, documents });
    await app.register(statsRoutes, { db: deps.db });
    await app.register(dashboardRoutes, { db: deps.db });
    await app.register(summaryRoutes, { db: deps.db, config: deps.config });
    await app.register(accountabilityRoutes, { db: deps.db });
    await app.register(labelRoutes);
    await app.register(streamRoutes, { live: deps.live, watching: deps.liveWatching });
    await app.register(meRoutes, { db: deps.db });
    await app.register(consoleRoutes, { config: deps.config });
    // Open streams would hold the server's close until their viewers leave.
    app.addHook('preClose', async () => deps.live.closeAll());
  },
  { name: 'yuqing-reporting' },
);

export { LiveFeed };
