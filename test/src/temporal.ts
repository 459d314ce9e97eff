import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createLogger, type Db, type EventBus, type Logger } from '@yuqing/shared';
import { createEventRelay } from '@yuqing/shared';
import { BUNDLE_PATH, createIncidentWorker } from '@yuqing/worker';
import { stackEnv, uniqueToken } from './env';

let runtimeInstalled = false;

/** Quiet SDK logs in tests: warnings and errors only. */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

export function testLogger(name = 'test'): Logger {
  return createLogger({ LOG_LEVEL: (process.env.TEST_LOG_LEVEL as 'warn') ?? 'warn', NODE_ENV: 'test', LOG_PRETTY: 'false' }, name);
}

export function testTaskQueue(): string {
  return `incidents-test-${uniqueToken()}`;
}

export async function connectTestClient(): Promise<Client> {
  const connection = await Connection.connect({ address: stackEnv().temporalAddress });
  return new Client({ connection, namespace: 'default' });
}

/**
 * Ends what a test (or a bench run) left running on the shared dev server, so its
 * timers fire into nothing; a few at a time, as a bench leaves thousands. Answers how many.
 */
export async function terminateTestWorkflows(client: Client, taskQueue: string, reason = 'test finished'): Promise<number> {
  // Listed first: terminating while paging through "Running" would shift the pages.
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) ids.push(wf.workflowId);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < ids.length) {
        await client.workflow
          .getHandle(ids[next++]!)
          .terminate(reason)
          .catch(() => undefined);
      }
    }),
  );
  return ids.length;
}

let bundle: string | undefined;

/** The prebuilt workflow bundle (`npm run build` writes it), loaded once per test file. */
export function workflowBundle(): string {
  bundle ??= readFileSync(BUNDLE_PATH, 'utf8');
  return bundle;
}

export interface TestWorker {
  readonly taskQueue: string;
  /** Drains and stops the worker and its event relay. */
  stop(): Promise<void>;
}

/**
 * Runs the real incident worker in this process on a task queue of its own,
 * with the event relay publishing to the test's stream.
 */
export async function startTestWorker(options: { db: Db; bus?: EventBus; taskQueue?: string }): Promise<TestWorker> {
  quietTemporalRuntime();
  const log = testLogger('worker');
  const taskQueue = options.taskQueue ?? testTaskQueue();
  // Without a bus (workflow tests read the outbox) there is nothing to publish to: no relay, no retry noise.
  const relay = options.bus ? createEventRelay({ db: options.db, bus: () => options.bus, log, pollMs: 200 }).start() : undefined;
  const { worker, connection } = await createIncidentWorker({
    db: options.db,
    log,
    temporalAddress: stackEnv().temporalAddress,
    namespace: 'default',
    taskQueue,
    onCommitted: () => relay?.wake(),
    workflows: { code: workflowBundle() },
  });
  const running = worker.run();
  return {
    taskQueue,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await relay?.stop();
      await connection.close();
    },
  };
}
