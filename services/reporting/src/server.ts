/** The reporting process: HTTP on REPORTING_PORT and the `reporting` event consumer. */
import { createDb, createLogger, loadConfigOrExit, runConsumer } from '@yuqing/shared';
import { createServer, serve } from '@yuqing/http-kit';
import { reportingApp } from './app';
import { createTimelineProjection, REPORTING_CONSUMER } from './consumers/timeline-projection';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'reporting');
  const db = createDb({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, applicationName: 'yuqing-reporting' });
  const project = createTimelineProjection(db);
  const consumer = runConsumer({
    nats: { url: config.NATS_URL, name: 'yuqing-reporting', stream: config.NATS_STREAM, subjectPrefix: config.NATS_SUBJECT_PREFIX },
    durable: REPORTING_CONSUMER,
    log,
    handler: project,
  });

  const app = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES });
  await app.register(reportingApp, { db, config, natsConnected: () => consumer.bus()?.nc.isClosed() === false });
  await serve(app, {
    host: config.HOST,
    port: config.REPORTING_PORT,
    log,
    db,
    config,
    cleanup: async () => {
      await consumer.stop();
      await db.destroy();
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`reporting failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
