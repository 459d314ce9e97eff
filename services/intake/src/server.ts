/** The intake process: HTTP on INTAKE_PORT plus the relay that starts queued workflows. */
import { createDb, createLogger, createMetricsRegistry, createTemporalClient, loadConfigOrExit, registerOutboxMetrics } from '@yuqing/shared';
import { createServer, serve } from '@yuqing/http-kit';
import { intakeApp } from './app';
import { createWorkflowStarter } from './incidents/workflow-starter';
import { createWorkflowUpdater } from './incidents/workflow-updater';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config, 'intake');
  const db = createDb({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, applicationName: 'yuqing-intake' });
  const temporal = createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
  const starter = createWorkflowStarter({
    db,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log,
    pollMs: config.OUTBOX_POLL_MS,
    maxInFlight: config.WORKFLOW_STARTS_IN_FLIGHT,
  }).start();
  const updater = createWorkflowUpdater({ db, temporal, log, pollMs: config.OUTBOX_POLL_MS }).start();
  const metrics = createMetricsRegistry('intake');
  registerOutboxMetrics(metrics, db, ['start_workflow', 'update_workflow']);

  const app = createServer({ log, bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: config.TRUST_PROXY });
  await app.register(intakeApp, {
    db,
    config,
    metrics,
    temporal,
    onAccepted: () => {
      starter.wake();
      updater.wake();
    },
  });
  await serve(app, {
    host: config.HOST,
    port: config.INTAKE_PORT,
    log,
    db,
    config,
    cleanup: async () => {
      await starter.stop();
      await updater.stop();
      await temporal.connection.close();
      await db.destroy();
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`intake failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
