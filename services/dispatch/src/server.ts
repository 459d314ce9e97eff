/** The dispatch process: HTTP on DISPATCH_PORT, the `dispatch` event consumer and the notification delivery worker. */
import {
  createDb,
  createLogger,
  createMetricsRegistry,
  createTemporalClient,
  loadConfigOrExit,
  productionSecretsProblem,
  registerConsumerMetrics,
  registerDeliveryMetrics,
  registerOutboxMetrics,
  resealChannelSecrets,
  runConsumer,
  secretBoxFromConfig,
} from '@yuqing/shared';
import { createServer, serve } from '@yuqing/http-kit';
import { dispatchApp } from './app';
import { createTaskProjection, DISPATCH_CONSUMER } from './consumers/task-projection';
import { createNotifications } from './notifications/notifications';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'dispatch');
  const secretsProblem = productionSecretsProblem(config);
  if (secretsProblem) {
    log.fatal(`refusing to start in production: ${secretsProblem}`);
    process.exit(78); // EX_CONFIG
  }
  const db = createDb({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, applicationName: 'yuqing-dispatch' });
  // Secrets written before encryption at rest are sealed now (a no-op once done; harmless in several processes at once).
  // Not awaited: the service starts even while PostgreSQL is away, so this tries again until it gets through.
  const box = secretBoxFromConfig(config);
  if (box.developmentKey) log.warn('SECRETS_KEY is not set: channel secrets are sealed under the public development key');
  const sealPlaintext = (): void => {
    resealChannelSecrets(db, box, 'plaintext').then(
      (done) => done.sealed > 0 && log.info({ sealed: done.sealed, keyId: box.keyId }, 'sealed channel secrets left in plaintext'),
      (err: unknown) => {
        log.warn({ err }, 'could not seal plaintext channel secrets yet; trying again in 10 s');
        setTimeout(sealPlaintext, 10_000).unref();
      },
    );
  };
  sealPlaintext();
  const temporal = createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
  // The consumer's connection also publishes the `notified` events; it is read at publish time.
  const metrics = createMetricsRegistry('dispatch');
  const notifications = createNotifications({ db, config, log, bus: () => consumer.bus(), metrics });
  const consumer = runConsumer({
    nats: { url: config.NATS_URL, name: 'yuqing-dispatch', stream: config.NATS_STREAM, subjectPrefix: config.NATS_SUBJECT_PREFIX },
    durable: DISPATCH_CONSUMER,
    log,
    handler: createTaskProjection(db, { plan: notifications.plan, onDeliveriesQueued: () => notifications.wake() }),
  });
  notifications.start();
  registerOutboxMetrics(metrics, db, ['event']);
  registerConsumerMetrics(metrics, [{ durable: DISPATCH_CONSUMER, bus: consumer.bus }]);
  registerDeliveryMetrics(metrics, db);

  const app = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY });
  await app.register(dispatchApp, {
    db,
    config,
    metrics,
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
  process.stderr.write(`dispatch failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
