/** The worker process: runs incident workflows and activities, and publishes their events. */
import { existsSync, readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { Runtime, type NativeConnection, type Worker } from '@temporalio/worker';
import {
  connectEventBus,
  createEventRelay,
  createDb,
  createLogger,
  createMetricsRegistry,
  databaseReachable,
  deadlineLatenessHistogram,
  ensureIncidentStream,
  INCIDENT_TASK_QUEUE,
  loadConfigOrExit,
  registerDeadlineMetrics,
  registerOutboxMetrics,
  type EventBus,
} from '@yuqing/shared';
import { BUNDLE_PATH } from './bundle';
import { freeLoopbackPort, startWorkerMetricsServer } from './metrics-server';
import { ensureSummarySchedules } from './summary-schedules';
import { createIncidentWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'worker');
  const db = createDb({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, applicationName: 'yuqing-worker' });

  // The SDK's own metrics (task latencies, slots, polls…) come from its runtime, installed before any connection.
  const sdkAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  Runtime.install({
    telemetryOptions: {
      metrics: { prometheus: { bindAddress: sdkAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } },
    },
  });
  const metrics = createMetricsRegistry('worker');
  registerOutboxMetrics(metrics, db, ['event']);
  registerDeadlineMetrics(metrics, db);
  const lateness = deadlineLatenessHistogram(metrics);
  let running: { readonly worker: Worker; readonly connection: NativeConnection } | undefined;
  const metricsServer = await startWorkerMetricsServer({
    registry: metrics,
    host: config.HOST,
    port: config.WORKER_METRICS_PORT,
    sdkAddress,
    log,
    checks: {
      // Not while it loads its workflows (seconds after this port opens) nor once it drains.
      polling: () => running?.worker.getState() === 'RUNNING',
      // The SDK stays RUNNING while its polls fail and retry: whether its server answers is asked too.
      temporal: () => running !== undefined && temporalAnswers(running.connection),
      database: () => databaseReachable(db),
    },
  }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    log.fatal(`metrics port ${config.WORKER_METRICS_PORT} is already in use: give each worker its own WORKER_METRICS_PORT (0 takes any free port)`);
    process.exit(98);
  });
  log.info({ port: metricsServer.port }, 'worker metrics on /metrics');

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
    // Lateness of the lapse itself: reminders before and the chain after it are set off from the same due time on purpose.
    onAlertStored: (alert, storedAt) => {
      if (alert.kind === 'deadline_lapsed') lateness.observe(Math.max(0, storedAt - Date.parse(alert.dueAt)) / 1_000);
    },
    workflows,
    summary: { reportingUrl: config.REPORTING_PUBLIC_URL, pdfFont: config.PDF_CJK_FONT },
    tuning: {
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    },
  });

  // The summary reports' schedules: made or brought in line with the configuration; a failure is logged, the incidents go on.
  const scheduling =
    config.SUMMARY_SCHEDULES === 'off'
      ? Promise.resolve(undefined)
      : Connection.connect({ address: config.TEMPORAL_ADDRESS })
          .then(async (clientConnection) => {
            const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
            await ensureSummarySchedules(
              client,
              {
                cron: { daily: config.SUMMARY_DAILY_CRON, weekly: config.SUMMARY_WEEKLY_CRON },
                timezone: config.SUMMARY_TIMEZONE,
                taskQueue: config.TEMPORAL_TASK_QUEUE,
                // Schedule ids are per namespace: a stack on another task queue keeps its own.
                idPrefix: config.TEMPORAL_TASK_QUEUE === INCIDENT_TASK_QUEUE ? '' : `${config.TEMPORAL_TASK_QUEUE}-`,
              },
              log,
            );
            return clientConnection;
          })
          .catch((err: unknown) => {
            log.error({ err }, 'summary report schedules not made (they are made again at the next start)');
            return undefined;
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

  running = { worker, connection };
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, bundle: 'code' in workflows }, 'worker running');
  await worker.run();
  await relay.stop();
  await busReady;
  await bus?.close();
  await connection.close();
  await (await scheduling)?.close();
  await metricsServer.close();
  await db.destroy();
  log.info('worker stopped');
}

/** True when the worker's Temporal frontend answers (the worker's /readyz). */
async function temporalAnswers(connection: NativeConnection): Promise<boolean> {
  await connection.workflowService.getSystemInfo({});
  return true;
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
