/** The dispatch process: HTTP on DISPATCH_PORT, the `dispatch` event consumer and the notification delivery worker. */
import { createDb, createLogger, createTemporalClient, loadConfigOrExit, runConsumer } from '@yuqing/shared';
import { createServer, serve } from '@yuqing/http-kit';
import { dispatchApp } from './app';
import { createTaskProjection, DISPATCH_CONSUMER } from './consumers/task-projection';
import { createNotifications } from './notifications/notifications';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'dispatch');
  const db = createDb({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, applicationName: 'yuqing-dispatch' });
  const temporal = createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
  // The consumer's connection also publishes the `notified` events; it is read at publish time.
  const notifications = createNotifications({ db, config, log, bus: () => consumer.bus() });
  const consumer = runConsumer({
    nats: { url: config.NATS_URL, name: 'yuqing-dispatch', stream: config.NATS_STREAM, subjectPrefix: config.NATS_SUBJECT_PREFIX },
    durable: DISPATCH_CONSUMER,
    log,
    handler: createTaskProjection(db, { plan: notifications.plan, onDeliveriesQueued: () => notifications.wake() }),
  });
  notifications.start();

  const app = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES });
  await app.register(dispatchApp, {
    db,
    config,
    temporal,
    natsConnected: () => consumer.bus()?.nc.isClosed() === false,
    onDeliveriesQueued: () => notifications.wake(),
  });
  await serve(app, {
    host: config.HOST,
    port: config.DISPATCH_PORT,
    log,
    db,
    config,
    cleanup: async () => {
      await consumer.stop();
      await notifications.stop();
      await temporal.connection.close();
      await db.destroy();
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`dispatch failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
