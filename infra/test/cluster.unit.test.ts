/**
 * The cluster profile's configuration, checked by the programs that will read it:
 * infra/cluster.sh renders it into a scratch directory, then nats-server -t,
 * haproxy -c and promtool check config must accept it, its ports stay clear of the
 * dev stack's, every process is scraped and health-checked, and the systemd units
 * of docs/deployment.md pass systemd-analyze verify (where systemd is installed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigSchema } from '@yuqing/shared';

const root = path.resolve(__dirname, '..', '..');
let dir: string;

function run(cmd: string, args: string[], cwd = root): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${cmd} is not installed: run infra/stack.sh deps`, { cause: err });
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

const DEV_PORTS = [7233, 8233, 4222, 5432, 3001, 3002, 3003, 9464, 9090];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'yuqing-cluster-'));
  run('bash', ['infra/cluster.sh', 'render', dir]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('names every process it can start, stop and restart', () => {
  expect(run('bash', ['infra/cluster.sh', 'names']).trim().split(' ')).toEqual([
    'postgres',
    'temporal',
    'temporal-ui',
    'nats-1',
    'nats-2',
    'nats-3',
    'worker-1',
    'worker-2',
    'intake-1',
    'intake-2',
    'dispatch-1',
    'dispatch-2',
    'reporting-1',
    'reporting-2',
    'haproxy',
    'prometheus',
  ]);
  expect(() => run('bash', ['infra/cluster.sh', 'restart', 'worker-9'])).toThrow(/no process named 'worker-9'/);
});

it('three NATS nodes that nats-server accepts, routed to each other, JetStream on each, a user per service', () => {
  const ports = new Set<number>();
  for (const i of [1, 2, 3]) {
    const file = path.join(dir, 'nats', `nats-${i}.conf`);
    run('nats-server', ['-t', '-c', file]); // exits non-zero (and run throws) on an invalid file
    const conf = readFileSync(file, 'utf8');
    expect(conf).toMatch(/jetstream \{/);
    expect(conf.match(/nats-route:\/\/127\.0\.0\.1:\d+/g)).toHaveLength(3);
    for (const m of conf.matchAll(/127\.0\.0\.1:(\d+)/g)) ports.add(Number(m[1]));
  }
  for (const p of DEV_PORTS) expect(ports).not.toContain(p);
  const users = readFileSync(path.join(dir, 'nats', 'users.conf'), 'utf8');
  const userOf = (name: string) => new RegExp(`\\{ user: ${name},[\\s\\S]*?\\} \\} \\}`).exec(users)?.[0] ?? '';
  // Only the relays publish events; reporting may not.
  expect(userOf('worker')).toMatch(/publish: \{ allow: \["incident\.>"/);
  expect(userOf('dispatch')).toMatch(/publish: \{ allow: \["incident\.>"/);
  expect(userOf('reporting')).toMatch(/deny: \["incident\.>"\]/);
  expect(userOf('reporting')).not.toMatch(/allow: \["incident/);
  // Nobody but the admin creates or changes streams.
  for (const u of ['worker', 'dispatch', 'reporting']) expect(userOf(u)).not.toMatch(/STREAM\.(CREATE|UPDATE|DELETE)/);
});

it('HAProxy: accepted by haproxy -c, two instances per service checked through /readyz, /metrics kept off the public side, forwarded headers only its own', () => {
  const file = path.join(dir, 'haproxy', 'haproxy.cfg');
  run('haproxy', ['-c', '-q', '-f', file]);
  const cfg = readFileSync(file, 'utf8');
  for (const svc of ['intake', 'dispatch', 'reporting']) {
    const backend = new RegExp(`backend ${svc}\\n([\\s\\S]*?)(\\n\\n|$)`).exec(cfg)?.[1] ?? '';
    expect(backend).toContain('option httpchk GET /readyz');
    expect(backend.match(/server \S+ 127\.0\.0\.1:\d+ check/g)).toHaveLength(2);
    const frontend = new RegExp(`frontend ${svc}\\n([\\s\\S]*?)\\n\\n`).exec(cfg)?.[1] ?? '';
    expect(frontend).toContain('http-request deny deny_status 404 if { path /metrics }');
    // Only HAProxy speaks for the client: the instances trust its forwarded headers.
    expect(frontend).toContain('http-request del-header X-Forwarded-Host');
    expect(frontend).toContain('http-request set-header X-Forwarded-Proto http');
  }
});

it('Prometheus: promtool accepts it with the alert rules, and it scrapes every instance, HAProxy and the Temporal server', () => {
  const file = path.join(dir, 'prometheus', 'prometheus.yml');
  expect(run('promtool', ['check', 'config', file])).toMatch(/is valid prometheus config file syntax/);
  const config = parse(readFileSync(file, 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
  const targets = Object.fromEntries(config.scrape_configs.map((s) => [s.job_name, s.static_configs.flatMap((c) => c.targets)]));
  for (const job of ['intake', 'dispatch', 'reporting', 'worker']) expect(targets[job]).toHaveLength(2);
  expect(targets.temporal).toHaveLength(1);
  expect(targets.haproxy).toHaveLength(1);
  const haproxy = readFileSync(path.join(dir, 'haproxy', 'haproxy.cfg'), 'utf8');
  // The instances Prometheus scrapes are the ones HAProxy sends traffic to.
  for (const job of ['intake', 'dispatch', 'reporting']) for (const t of targets[job]!) expect(haproxy).toContain(` ${t} check`);
  for (const t of Object.values(targets).flat()) expect(DEV_PORTS).not.toContain(Number(t.split(':')[1]));
});

it('the Temporal server: a fixed number of history shards, PostgreSQL for both stores, Updates enabled', () => {
  const config = parse(readFileSync(path.join(dir, 'temporal', 'config', 'cluster.yaml'), 'utf8')) as {
    persistence: { numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string } }> };
    services: Record<string, { rpc: { grpcPort: number } }>;
  };
  expect(config.persistence.numHistoryShards).toBe(64);
  expect(Object.values(config.persistence.datastores).map((d) => d.sql.pluginName)).toEqual(['postgres12', 'postgres12']);
  expect(Object.keys(config.services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
  for (const s of Object.values(config.services)) expect(DEV_PORTS).not.toContain(s.rpc.grpcPort);
  expect(readFileSync(path.join(dir, 'temporal', 'config', 'dynamicconfig.yaml'), 'utf8')).toMatch(
    /frontend\.enableUpdateWorkflowExecution:\n {2}- value: true/,
  );
});

it('the Temporal Web UI: pointed at the cluster, every write action disabled for operators', () => {
  const ui = parse(readFileSync(path.join(dir, 'temporal-ui', 'config', 'cluster.yaml'), 'utf8')) as Record<string, unknown>;
  expect(ui.temporalGrpcAddress).toBe('127.0.0.1:7333');
  expect(DEV_PORTS).not.toContain(ui.port);
  for (const [k, v] of Object.entries(ui)) if (/Disabled$|^disableWriteActions$/.test(k)) expect({ [k]: v }).toEqual({ [k]: true });
  expect(ui.disableWriteActions).toBe(true);
});

it('the app processes get only variables the config schema knows, valid as a production configuration', () => {
  const env = Object.fromEntries(
    readFileSync(path.join(dir, 'app.env'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const known = Object.keys(ConfigSchema.shape);
  expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
  const parsed = ConfigSchema.safeParse(env);
  expect(parsed.success).toBe(true);
  expect(parsed.data?.NODE_ENV).toBe('production');
});

const hasSystemd = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(hasSystemd ? it : it.skip)('the systemd units pass systemd-analyze verify', () => {
  const units = path.join(root, 'infra', 'systemd');
  const scratch = path.join(dir, 'systemd');
  mkdirSync(path.join(scratch, 'bin'), { recursive: true });
  // The programs the units start, where this machine has them: the repository for /opt/yuqing, a stand-in for the server binary.
  const server = path.join(scratch, 'bin', 'temporal-server');
  writeFileSync(server, '#!/bin/sh\n');
  chmodSync(server, 0o755);
  const files = readdirSync(units);
  for (const f of files) {
    const text = readFileSync(path.join(units, f), 'utf8').replaceAll('/usr/local/bin/temporal-server', server).replaceAll('/opt/yuqing', root);
    writeFileSync(path.join(scratch, f), text);
  }
  expect(existsSync('/usr/sbin/nats-server') || existsSync('/usr/bin/nats-server')).toBe(true);
  const instances = files.map((f) => f.replace('@.', '@1.'));
  expect(instances.sort()).toEqual(
    [
      'nats@1.service',
      'temporal-server.service',
      'yuqing-dispatch@1.service',
      'yuqing-intake@1.service',
      'yuqing-migrate.service',
      'yuqing-reporting@1.service',
      'yuqing-worker@1.service',
      'yuqing.target',
    ].sort(),
  );
  const verify = spawnSync('systemd-analyze', ['verify', ...instances], { cwd: scratch, encoding: 'utf8' });
  // Warnings come on stderr with exit code 0: none is accepted.
  expect(verify.stdout + verify.stderr).toBe('');
  expect(verify.status).toBe(0);
});
