/**
 * The two profiles side by side (BENCHMARKS.md, "Dev and cluster profiles"), small
 * enough for a shared two-core machine:
 *   1. the ceiling: empty workflow starts per second with the SDK client;
 *   2. end to end: incidents posted to intake until each has its tasks projected by
 *      dispatch (HTTP, PostgreSQL, outbox, workflow start, events over NATS), per second;
 *   3. CPU per incident by process during 2.
 *   BENCH_PROFILE=cluster  against the running cluster profile (infra/cluster.sh up), through HAProxy
 *   BENCH_PROFILE=dev      the worker and services as processes on the dev stack's Temporal, NATS, PostgreSQL
 * BENCH_INCIDENTS (300), BENCH_STARTS (300), BENCH_CONCURRENCY (16). Prints one JSON line.
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { createDb, type Db } from '@yuqing/shared';
import {
  createTestDatabase,
  createTestKey,
  eventually,
  REPO_ROOT,
  sampleIncident,
  stackEnv,
  startPlatformProcesses,
  testNatsOptions,
  testTaskQueue,
} from '@yuqing/testkit';
import { cpuMs, Latencies } from './stats';

const PROFILE = process.env.BENCH_PROFILE ?? 'cluster';
const N = Number(process.env.BENCH_INCIDENTS ?? 300);
const STARTS = Number(process.env.BENCH_STARTS ?? 300);
const C = Number(process.env.BENCH_CONCURRENCY ?? 16);
const log = (msg: string) => process.stderr.write(`[profiles ${PROFILE}] ${msg}\n`);

interface Target {
  intake: string;
  temporal: string;
  taskQueue: string;
  db: Db;
  key: string;
  /** Process name → pid, for CPU by process. */
  pids: () => Record<string, number>;
  stop(): Promise<void>;
}

function temporalDevPid(): number | undefined {
  try {
    return Number(execSync("pgrep -f '^temporal server start-dev' | head -1", { encoding: 'utf8' }).trim()) || undefined;
  } catch {
    return undefined;
  }
}

async function target(): Promise<Target> {
  if (PROFILE === 'cluster') {
    const dir = path.join(REPO_ROOT, '.data', 'cluster');
    const db = createDb({ url: 'postgres://postgres@127.0.0.1:5532/yuqing', poolMax: 4 });
    return {
      intake: 'http://127.0.0.1:3201',
      temporal: '127.0.0.1:7333',
      taskQueue: 'incidents',
      db,
      key: readFileSync(path.join(dir, 'etc', 'secrets', 'admin-key'), 'utf8').trim(),
      pids: () =>
        Object.fromEntries(readdirSync(path.join(dir, 'pids')).map((f) => [f.replace(/\.pid$/, ''), Number(readFileSync(path.join(dir, 'pids', f), 'utf8'))])),
      stop: () => db.destroy(),
    };
  }
  const t = await createTestDatabase();
  const nats = testNatsOptions('profiles');
  const taskQueue = testTaskQueue();
  const platform = await startPlatformProcesses({
    DATABASE_URL: t.url,
    NATS_URL: stackEnv().natsUrl,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.subjectPrefix,
    TEMPORAL_ADDRESS: stackEnv().temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    RATE_LIMIT_PER_MINUTE: '1000000',
    CLIENT_MAX_IN_FLIGHT: '64',
  });
  return {
    intake: platform.urls.intake,
    temporal: stackEnv().temporalAddress,
    taskQueue,
    db: t.db,
    key: await createTestKey(t.db, { scopes: ['admin'] }),
    pids: () => ({
      ...Object.fromEntries(Object.entries(platform.procs).map(([name, p]) => [name, p.child.pid!])),
      temporal: temporalDevPid()!,
      postgres: Number(execSync('pgrep -o -x postgres || pgrep -o postgres | head -1', { encoding: 'utf8' }).trim()),
      nats: Number(execSync('pgrep -o nats-server', { encoding: 'utf8' }).trim()),
    }),
    async stop() {
      await platform.stop();
      await t.drop();
    },
  };
}

async function main(): Promise<void> {
  const tg = await target();
  const result: Record<string, unknown> = { profile: PROFILE, incidents: N, starts: STARTS, concurrency: C };
  try {
    // 1. The ceiling: empty workflows started (and run) on the same server.
    const temporal = new Client({ connection: await Connection.connect({ address: tg.temporal }), namespace: 'default' });
    const connection = await NativeConnection.connect({ address: tg.temporal });
    const queue = `bench-empty-${Date.now()}`;
    const worker = await Worker.create({
      connection,
      taskQueue: queue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./empty.workflow'), logger: new DefaultLogger('WARN') }),
    });
    const running = worker.run();
    let i = 0;
    const lat = new Latencies();
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (i < STARTS) {
          const n = i++;
          const s = performance.now();
          await temporal.workflow.start('benchEmptyWorkflow', { taskQueue: queue, workflowId: `${queue}-${n}` });
          lat.record(performance.now() - s);
        }
      }),
    );
    result.ceilingStartsPerSecond = Math.round((STARTS / ((Date.now() - t0) / 1000)) * 10) / 10;
    result.ceilingLatencyMs = lat.summary();
    log(`ceiling ${String(result.ceilingStartsPerSecond)} starts/s`);
    worker.shutdown();
    await running;
    await connection.close();
    await temporal.connection.close();

    // 2. End to end, and 3. CPU by process.
    const pids = tg.pids();
    const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
    const post = new Latencies();
    const ids: string[] = [];
    let next = 0;
    let failed = 0;
    const t1 = Date.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < N) {
          const n = next++;
          const s = performance.now();
          const res = await fetch(`${tg.intake}/v1/incidents`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tg.key}`, 'content-type': 'application/json', 'idempotency-key': `bench-${t1}-${n}` },
            body: JSON.stringify(sampleIncident({ title: `基准测试 ${n}` })),
          });
          post.record(performance.now() - s);
          if (res.status !== 202) failed++;
          else ids.push(((await res.json()) as { id: string }).id);
        }
      }),
    );
    const acceptedSeconds = (Date.now() - t1) / 1000;
    await eventually(
      async () => {
        const rows = await tg.db
          .selectFrom('tasks')
          .select((eb) => eb.fn.count<string>('incidentId').distinct().as('n'))
          .where('incidentId', 'in', ids)
          .executeTakeFirstOrThrow();
        return Number(rows.n) === ids.length;
      },
      600_000,
      'every incident projected',
    );
    const seconds = (Date.now() - t1) / 1000;
    const after = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
    const perIncident = Object.fromEntries(Object.keys(pids).map((k) => [k, Math.round(((after[k]! - before[k]!) / ids.length) * 10) / 10]));
    result.acceptedPerSecond = Math.round((ids.length / acceptedSeconds) * 10) / 10;
    result.endToEndPerSecond = Math.round((ids.length / seconds) * 10) / 10;
    result.ratioToCeiling = Math.round(((result.endToEndPerSecond as number) / (result.ceilingStartsPerSecond as number)) * 100) / 100;
    result.postLatencyMs = post.summary();
    result.failed = failed;
    result.cpuMsPerIncident = { ...perIncident, total: Math.round(Object.values(perIncident).reduce((a, b) => a + b, 0) * 10) / 10 };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await tg.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
