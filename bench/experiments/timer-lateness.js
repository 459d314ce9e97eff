/**
 * Timer lateness of the bare Temporal dev server: N workflows (env N, default 300)
 * sleeping to deadlines spread over SPREAD ms, each reporting how late it woke.
 *   node bench/experiments/timer-lateness.js [server flags…]
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
  const extra = process.argv.slice(2);
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
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=full',
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  const address = `127.0.0.1:${port}`;
  for (;;) {
    if (spawnSync(BIN, ['operator', 'cluster', 'health', '--address', address]).status === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const late = [];
  const conn = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: conn,
    taskQueue: 'exp',
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./timer-lateness.workflow.js'), logger: new DefaultLogger('WARN') }),
    activities: {
      async lapse(dueAt) {
        late.push(Date.now() - dueAt);
      },
    },
  });
  const running = worker.run();
  const client = new Client({ connection: await Connection.connect({ address }) });
  const N = Number(process.env.N || 300),
    C = 16;
  const due0 = Date.now() + 25000,
    spread = Number(process.env.SPREAD || 30000);
  let i = 0;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (i < N) {
        const n = i++;
        await client.workflow.start('expTimer', { taskQueue: 'exp', workflowId: `t-${n}`, args: [due0 + Math.floor((n * spread) / N)] });
      }
    }),
  );
  while (late.length < N) await new Promise((r) => setTimeout(r, 200));
  late.sort((a, b) => a - b);
  const q = (p) => late[Math.min(N - 1, Math.floor(p * N))];
  console.log(JSON.stringify({ extra, N, spread, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: late[N - 1] }));
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
