/**
 * Isolates the Temporal dev server from the platform: start rate of an empty workflow
 * and of a minimal incident-shaped one (a local activity, two timers, a search
 * attribute, a second local activity), with optional server flags.
 *   node bench/experiments/start-rate.js empty|incident <marker KiB> [server flags…]
 * e.g. `incident 24 --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=full`.
 * Figures in BENCHMARKS.md, "What changed the numbers".
 */
const { spawn, spawnSync } = require('child_process');
const { Client, Connection } = require('@temporalio/client');
const { Worker, NativeConnection, bundleWorkflowCode, Runtime, DefaultLogger } = require('@temporalio/worker');
const os = require('os'),
  fs = require('fs'),
  path = require('path'),
  net = require('net');
const BIN = process.env.TEMPORAL_BIN ?? require('path').resolve(__dirname, '../../.tools/bin/temporal');
const freePort = () =>
  new Promise((r) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => r(p));
    });
  });
async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const [mode, bigKb, extra] = [process.argv[2], Number(process.argv[3] || 0), process.argv.slice(4)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-'));
  const port = await freePort();
  const srv = spawn(
    BIN,
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      String(await freePort()),
      '--metrics-port',
      String(await freePort()),
      '--db-filename',
      path.join(dir, 't.db'),
      '--log-level',
      'error',
      '--search-attribute',
      'YuqingStatus=Keyword',
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  const address = `127.0.0.1:${port}`;
  for (;;) {
    if (spawnSync(BIN, ['operator', 'cluster', 'health', '--address', address]).status === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const big = { blob: 'x'.repeat(bigKb * 1024) };
  let done = 0,
    last = 0;
  const conn = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: conn,
    taskQueue: 'exp',
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./start-rate.workflow.js'), logger: new DefaultLogger('WARN') }),
    activities: {
      async prepare() {
        return { n: 1, big };
      },
      async publish() {
        done++;
        last = Date.now();
      },
    },
    maxCachedWorkflows: 2000,
    maxConcurrentWorkflowTaskExecutions: 40,
    ...(process.env.POLLS ? { maxConcurrentWorkflowTaskPolls: Number(process.env.POLLS), nonStickyToStickyPollRatio: Number(process.env.RATIO || 0.2) } : {}),
  });
  const running = worker.run();
  const client = new Client({ connection: await Connection.connect({ address }) });
  const N = Number(process.env.N || 600),
    C = 32;
  let i = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (i < N) {
        const n = i++;
        await client.workflow.start(mode === 'empty' ? 'expEmpty' : 'expIncident', {
          taskQueue: 'exp',
          workflowId: `w-${n}`,
          args: mode === 'empty' ? [] : [{}],
        });
      }
    }),
  );
  const tStarted = Date.now();
  if (mode !== 'empty') while (done < N) await new Promise((r) => setTimeout(r, 50));
  console.log(
    JSON.stringify({
      mode,
      bigKb,
      extra,
      starts: +(N / ((tStarted - t0) / 1000)).toFixed(1),
      e2e: mode === 'empty' ? null : +(N / ((last - t0) / 1000)).toFixed(1),
    }),
  );
  worker.shutdown();
  await running;
  srv.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
