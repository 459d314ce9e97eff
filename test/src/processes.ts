import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { REPO_ROOT, stackEnv } from './env';
import { eventually } from './wait';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const ENTRY_POINTS = {
  worker: 'services/worker/dist/main.js',
  intake: 'services/intake/dist/server.js',
  dispatch: 'services/dispatch/dist/server.js',
  reporting: 'services/reporting/dist/server.js',
} as const;
export type ServiceName = keyof typeof ENTRY_POINTS;

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly child: ChildProcess;
  /** Everything the process wrote, for assertions and failure messages. */
  output(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs one of the platform's processes from its built entry point, as `make up` does. */
export function startService(name: ServiceName, env: Record<string, string>, options: { nodeArgs?: readonly string[] } = {}): ServiceProcess {
  // Flags such as --cpu-prof are refused in NODE_OPTIONS, hence nodeArgs.
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(REPO_ROOT, ENTRY_POINTS[name])], {
    // A worker's metrics take any free port unless the test names one: several workers run at once.
    // Test workers leave the summary reports' schedules alone: they are per namespace, the stack's own would be moved to the test's queue.
    env: { ...process.env, NODE_ENV: 'test', LOG_PRETTY: 'false', LOG_LEVEL: 'info', WORKER_METRICS_PORT: '0', SUMMARY_SCHEDULES: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** Waits until an HTTP service answers ready. */
export async function waitReady(baseUrl: string, proc: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited: ${proc.output().slice(-2_000)}`);
      const res = await fetch(`${baseUrl}/readyz`);
      return res.ok;
    },
    timeoutMs,
    `${proc.name} ready`,
  );
}

/** The settings every platform process needs to run on the dev stack with a test's own database, NATS stream and task queue. */
export function testPlatformEnv(
  databaseUrl: string,
  nats: { readonly stream: string; readonly subjectPrefix: string },
  taskQueue: string,
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    NATS_URL: stackEnv().natsUrl,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    TEMPORAL_ADDRESS: stackEnv().temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
  };
}

/** The worker and the three services as separate processes, as `make up` runs them. */
export interface PlatformProcesses {
  readonly urls: Readonly<Record<'intake' | 'dispatch' | 'reporting', string>>;
  /** Where the worker serves its metrics (`${workerMetricsUrl}/metrics`). */
  readonly workerMetricsUrl: string;
  readonly procs: Readonly<Record<ServiceName, ServiceProcess>>;
  /** Stops every process (SIGKILL unless told otherwise). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the worker and the three services on free ports with `env` (database,
 * NATS, Temporal, task queue…) and waits until the services answer ready.
 */
export async function startPlatformProcesses(
  env: Record<string, string>,
  options: { readonly nodeArgs?: Partial<Record<ServiceName, string[]>> } = {},
): Promise<PlatformProcesses> {
  const ports = { intake: await freePort(), dispatch: await freePort(), reporting: await freePort(), worker: await freePort() };
  const urls = { intake: `http://127.0.0.1:${ports.intake}`, dispatch: `http://127.0.0.1:${ports.dispatch}`, reporting: `http://127.0.0.1:${ports.reporting}` };
  const full = {
    WORKER_METRICS_PORT: String(ports.worker),
    INTAKE_PORT: String(ports.intake),
    DISPATCH_PORT: String(ports.dispatch),
    REPORTING_PORT: String(ports.reporting),
    INTAKE_PUBLIC_URL: urls.intake,
    DISPATCH_PUBLIC_URL: urls.dispatch,
    REPORTING_PUBLIC_URL: urls.reporting,
    OUTBOX_POLL_MS: '200',
    ...env,
  };
  const start = (name: ServiceName) => startService(name, full, { nodeArgs: options.nodeArgs?.[name] ?? [] });
  const procs = { worker: start('worker'), intake: start('intake'), dispatch: start('dispatch'), reporting: start('reporting') };
  const workerMetricsUrl = `http://127.0.0.1:${full.WORKER_METRICS_PORT}`;
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    await Promise.all(Object.values(procs).map((p) => p.stop(signal)));
  };
  try {
    // The worker too: it answers ready once it polls, seconds after its metrics port opens.
    await Promise.all([
      waitReady(urls.intake, procs.intake),
      waitReady(urls.dispatch, procs.dispatch),
      waitReady(urls.reporting, procs.reporting),
      waitReady(workerMetricsUrl, procs.worker),
    ]);
  } catch (err) {
    // A test whose platform never came up has nothing to stop in its afterAll: none is left running.
    await stop();
    throw err;
  }
  return { urls, workerMetricsUrl, procs, stop };
}
