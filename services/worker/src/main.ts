/** The worker process: runs incident workflows and activities, and publishes their events. */
import { existsSync, readFileSync } from 'node:fs';
import { connectEventBus, createEventRelay, createDb, createLogger, ensureIncidentStream, loadConfigOrExit, type EventBus } from '@yuqing/shared';
import { BUNDLE_PATH } from './bundle';
import { createIncidentWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'worker');
  const db = createDb({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, applicationName: 'yuqing-worker' });

  let bus: EventBus | undefined;
  const relay = createEventRelay({ db, bus: () => bus, log, pollMs: config.OUTBOX_POLL_MS }).start();
  // NATS may be down at start: the outbox keeps events until it is back.
  const busReady = connectEventBus({ url: config.NATS_URL, name: 'yuqing-worker', stream: config.NATS_STREAM, subjectPrefix: config.NATS_SUBJECT_PREFIX })
    .then(async (connected) => {
      await ensureIncidentStream(connected);
      bus = connected;
      relay.wake();
      log.info('NATS connected; event relay running');
    })
    .catch((err: unknown) => log.error({ err }, 'NATS connection failed'));

  const workflows = existsSync(BUNDLE_PATH) ? { code: readFileSync(BUNDLE_PATH, 'utf8') } : { path: require.resolve('@yuqing/workflows') };
  const { worker, connection } = await createIncidentWorker({
    db,
    log,
    temporalAddress: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    onCommitted: () => relay.wake(),
    workflows,
    tuning: {
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    },
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining: finishing activity work, then stopping');
    worker.shutdown();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, bundle: 'code' in workflows }, 'worker running');
  await worker.run();
  await relay.stop();
  await busReady;
  await bus?.close();
  await connection.close();
  await db.destroy();
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
