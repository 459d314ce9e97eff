/** The reporting process: HTTP on REPORTING_PORT, the `reporting` event consumer and the live stream's watcher. */
import { createDb, createLogger, createMetricsRegistry, loadConfigOrExit, registerConsumerMetrics, runConsumer } from '@yuqing/shared';
import { createServer, serve } from '@yuqing/http-kit';
import { LiveFeed, reportingApp } from './app';
import { createTimelineProjection, REPORTING_CONSUMER } from './consumers/timeline-projection';
import { runLiveSource } from './live/live-source';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'reporting');
  const db = createDb({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, applicationName: 'yuqing-reporting' });
  const project = createTimelineProjection(db);
  const nats = { url: config.NATS_URL, name: 'yuqing-reporting', stream: config.NATS_STREAM, subjectPrefix: config.NATS_SUBJECT_PREFIX };
  const consumer = runConsumer({ nats, durable: REPORTING_CONSUMER, log, handler: project });
  // Every instance watches the whole stream for its own console viewers (see live-source.ts).
  const live = new LiveFeed();
  const watcher = runLiveSource({ db, nats: { ...nats, name: 'yuqing-reporting-live' }, log, feed: live });
  const metrics = createMetricsRegistry('reporting');
  registerConsumerMetrics(metrics, [{ durable: REPORTING_CONSUMER, bus: consumer.bus }]);

  const app = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY });
  await app.register(reportingApp, { db, config, metrics, natsConnected: () => consumer.bus()?.nc.isClosed() === false, live, liveWatching: watcher.watching });
  await serve(app, {
    host: config.HOST,
    port: config.REPORTING_PORT,
    log,
    db,
    config,
    draining: () => live.closeAll(),
    cleanup: async () => {
      await watcher.stop();
      await consumer.stop();
      await db.destroy();
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`reporting failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
