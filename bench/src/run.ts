/**
 * `npm run bench`: one run measuring, against the same Temporal dev server,
 *   1. the ceiling: raw workflow starts per second with the SDK client (empty workflow);
 *   2. intake: incidents per second through POST /v1/incidents (and /batch), end to
 *      end — HTTP, validation, PostgreSQL, workflow started, first events published —
 *      with p50/p95/p99 latency, at fixed concurrency levels;
 *   3. the ratio intake ÷ ceiling;
 *   4. alert lateness: with 10,000 open incidents holding timers, 1,000 deadlines
 *      lapsing within one minute: how late each `incident.deadline_lapsed` arrives;
 *   5. footprint: RSS of the worker and services with 10,000 open incidents;
 *   6. fan-out: intake 202 → first notification delivered to a loopback webhook
 *      (when the dispatch service delivers webhooks);
 *   7. fairness: a quiet key's latency, idle and while other keys each send a
 *      burst within their per-minute limit, with the limits lifted (as for the
 *      phases above) and as a service starts by default (bench/src/fairness.ts);
 *   8. report burst: 10,000 sightings of 50 events within 60 s through POST
 *      /v1/reports — accepted/s, 202 latency, incidents opened, correlation
 *      precision and recall, first report → first warning, CPU per report
 *      (bench/src/burst.ts).
 * BENCH_ONLY=fairness or BENCH_ONLY=burst starts the same servers and runs that phase only.
 * Servers are private and fresh each run (Temporal dev server, NATS, PostgreSQL with
 * fsync on); the worker and services run as separate processes, as in production.
 * Prints a table, writes bench/results/<time>.json, appends to BENCHMARKS.md.
 */
import { execSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createApiClient, createDb, DEFAULT_POLICY, ensureDatabase, migrateToLatest, PolicyDocumentSchema, type Db } from '@yuqing/shared';
import {
  eventually,
  freePort,
  PrivateServers,
  publishCityPolicy,
  REPO_ROOT,
  startService,
  waitReady,
  type ServiceName,
  type ServiceProcess,
} from '@yuqing/testkit';
import { measureBurst, type BurstResult } from './burst';
import { measureFairness, type FairnessResult } from './fairness';
import { benchIncident } from './load';
import { cpuMs, Latencies, rssMiB } from './stats';

const N_OPEN = Number(process.env.BENCH_OPEN_INCIDENTS ?? 10_000);
const N_LAPSING = Number(process.env.BENCH_LAPSING ?? 1_000);
const PER_LEVEL = Number(process.env.BENCH_PER_LEVEL ?? 1_000);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '8,32').split(',').map(Number);
const LAPSE_AFTER = process.env.BENCH_LAPSE_AFTER ?? '100s';
/** BENCH_PG_TCP=1: the platform reaches PostgreSQL over loopback TCP instead of its Unix-domain socket (to compare). */
const PG_TCP = process.env.BENCH_PG_TCP === '1';
/** Seconds over which the lapsing incidents are reported, hence their deadlines spread. */
const LAPSE_WINDOW_S = Number(process.env.BENCH_LAPSE_WINDOW ?? 55);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 5);
const ONLY = process.env.BENCH_ONLY;
const FAIRNESS = {
  burst: Number(process.env.BENCH_FAIRNESS_BURST ?? 500),
  connections: Number(process.env.BENCH_FAIRNESS_CONNECTIONS ?? 100),
  bursts: Number(process.env.BENCH_FAIRNESS_BURSTS ?? 3),
  quietEveryMs: Number(process.env.BENCH_FAIRNESS_QUIET_EVERY_MS ?? 100),
};
const BURST = {
  reports: Number(process.env.BENCH_BURST_REPORTS ?? 10_000),
  events: Number(process.env.BENCH_BURST_EVENTS ?? 50),
  seconds: Number(process.env.BENCH_BURST_SECONDS ?? 60),
  /**
   * BENCH_BURST_COLD=0 skips the cold round. By default the services meet a first burst
   * right after they start (V8 has compiled nothing yet, PostgreSQL's connections and
   * caches are new), on another topic so no report of it can match the measured one's;
   * the measured burst follows on warm processes, as a burst finds intake in service.
   */
  cold: process.env.BENCH_BURST_COLD !== '0',
};
/** The cold round's topic and the measured one's: text is never matched across topics. */
const BURST_TOPICS = { cold: 'product_quality', warm: 'food_safety' } as const;
const BACKGROUND_DISTRICT = '230103';
const LAPSING_DISTRICT = '230184';

const log = (msg: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Seen {
  dispatched: Map<string, number>;
  lapsed: Map<string, { arrivedAt: number; dueAt: number; raisedAt: number }>;
}

let stopping = false;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const started = Date.now();
  log('starting private servers (Temporal dev server, NATS, PostgreSQL with fsync on)');
  const servers = await PrivateServers.start({ fsync: true, label: 'bench' });
  const procs = new Map<ServiceName, ServiceProcess>();
  let nc: NatsConnection | undefined;
  let db: Db | undefined;
  try {
    await ensureDatabase(servers.postgres.url('yuqing'));
    db = createDb({ url: servers.postgres.url('yuqing'), poolMax: 4 });
    await migrateToLatest(db);
    // Background incidents keep the default clocks (hours); the lapsing district's
    // local plan makes its acknowledgements lapse LAPSE_AFTER after dispatch.
    await publishCityPolicy(db, PolicyDocumentSchema.parse(DEFAULT_POLICY));
    await db
      .insertInto('policies')
      .values({
        scope: LAPSING_DISTRICT,
        version: 1,
        document: JSON.stringify({ name: 'bench', tiers: { general: { acknowledge: { deadline: LAPSE_AFTER } } } }),
        createdBy: 'bench',
        note: null,
      })
      .execute();
    const key = await createApiClient(db, { id: 'bench', name: 'bench', scopes: ['admin'] });

    const ports = { intake: await freePort(), dispatch: await freePort(), reporting: await freePort(), worker: await freePort() };
    const env = {
      DATABASE_URL: PG_TCP ? servers.postgres.url('yuqing') : servers.postgres.socketUrl('yuqing'),
      NATS_URL: servers.nats.url,
      TEMPORAL_ADDRESS: servers.temporal.address,
      INTAKE_PORT: String(ports.intake),
      DISPATCH_PORT: String(ports.dispatch),
      REPORTING_PORT: String(ports.reporting),
      LOG_LEVEL: 'warn',
      // Throughput is measured without the per-key limits; phase 7 measures them.
      RATE_LIMIT_PER_MINUTE: '10000000',
      // The fan-out's webhook receiver listens on loopback, which channels may not point at unless listed.
      NOTIFY_ALLOW_HOSTS: '127.0.0.1',
      CLIENT_MAX_IN_FLIGHT: '100000',
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WORKER_') || k === 'DATABASE_POOL_MAX' || k === 'OUTBOX_POLL_MS')),
      WORKER_METRICS_PORT: String(ports.worker),
    } as Record<string, string>;
    // BENCH_PROFILE=worker,dispatch (any of the four) writes those processes' CPU profiles to bench/results/profiles.
    const profileDir = path.join(REPO_ROOT, 'bench', 'results', 'profiles');
    for (const name of ['worker', 'intake', 'dispatch', 'reporting'] as const) {
      const nodeArgs = (process.env.BENCH_PROFILE ?? '').split(',').includes(name) ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      const proc = startService(name, env, { nodeArgs });
      if (name === 'intake') prioritise(proc.child.pid);
      // A process that dies mid-run would leave the bench waiting for events: stop at once.
      proc.child.once('exit', (code, signal) => {
        if (!stopping) {
          log(`${name} exited (${code ?? signal}) during the run:\n${proc.output().slice(-3_000)}`);
          void Promise.all([...procs.values()].map((p) => p.stop('SIGKILL')))
            .then(() => servers.destroy())
            .finally(() => process.exit(1));
        }
      });
      procs.set(name, proc);
    }
    const intakeUrl = `http://127.0.0.1:${ports.intake}`;
    await waitReady(intakeUrl, procs.get('intake')!);
    await waitReady(`http://127.0.0.1:${ports.dispatch}`, procs.get('dispatch')!);
    await waitReady(`http://127.0.0.1:${ports.reporting}`, procs.get('reporting')!);
    // The first measured incidents go to a worker that polls, as after `make up` (a cold round still meets cold code).
    await waitReady(`http://127.0.0.1:${ports.worker}`, procs.get('worker')!, 60_000);

    // Events as a consumer sees them, on plain NATS subscriptions.
    nc = await connect({ servers: servers.nats.url });
    const seen: Seen = { dispatched: new Map(), lapsed: new Map() };
    const sub = nc.subscribe('incident.>');
    void (async () => {
      for await (const m of sub) {
        const now = Date.now();
        const e = m.json<{ type: string; incidentId: string; occurredAt: string; data: { dueAt?: string; reason?: string } }>();
        if (e.type === 'dispatched' && e.data.reason === 'initial' && !seen.dispatched.has(e.incidentId)) seen.dispatched.set(e.incidentId, now);
        if (e.type === 'deadline_lapsed' && !seen.lapsed.has(e.incidentId))
          seen.lapsed.set(e.incidentId, { arrivedAt: now, dueAt: Date.parse(e.data.dueAt!), raisedAt: Date.parse(e.occurredAt) });
      }
    })();
    // 7. Fairness, against this intake (limits lifted) and a second one started with the default limits.
    const fairnessPhase = async (): Promise<Record<string, FairnessResult>> => {
      const out: Record<string, FairnessResult> = {};
      // Every incident stored so far dispatched: the platform has caught up with the last burst.
      const settle = async () => {
        const { n } = await db!
          .selectFrom('incidents')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow();
        await eventually(() => seen.dispatched.size >= Number(n), 300_000, 'the platform to settle').catch(() =>
          log('fairness: not settled after 300 s; going on'),
        );
      };
      const run = async (label: string, url: string) => {
        const keyOf = (role: string) =>
          createApiClient(db!, { id: `fair-${label.replace(/\W+/g, '-')}-${role}`, name: `bench ${role}`, scopes: ['incidents:write'] });
        const quietKey = await keyOf('quiet');
        const loudKeys = await Promise.all(Array.from({ length: FAIRNESS.bursts }, (_, i) => keyOf(`loud-${i}`)));
        log(
          `fairness, ${label}: ${FAIRNESS.bursts} bursts of ${FAIRNESS.burst} at ${FAIRNESS.connections} connections, quiet key every ${FAIRNESS.quietEveryMs} ms`,
        );
        out[label] = await measureFairness({
          url,
          quietKey,
          loudKeys,
          body: () => JSON.stringify(benchIncident(BACKGROUND_DISTRICT)),
          ...FAIRNESS,
          idleMs: 10_000,
          gapMs: 2_000,
          settle,
        });
        log(`fairness ${label}: ${JSON.stringify(out[label])}`);
      };
      await run('limits lifted', intakeUrl);
      const { RATE_LIMIT_PER_MINUTE: _rate, CLIENT_MAX_IN_FLIGHT: _inFlight, ...defaultsEnv } = env;
      const port = await freePort();
      const defaults = startService('intake', { ...defaultsEnv, INTAKE_PORT: String(port) });
      try {
        await waitReady(`http://127.0.0.1:${port}`, defaults);
        await run('defaults', `http://127.0.0.1:${port}`);
      } finally {
        await defaults.stop();
      }
      return out;
    };
    // CPU time by process, to say where each incident's cost goes (the machine's cores are shared by all).
    const cpuNow = () => ({
      temporal: cpuMs(servers.temporal.pid),
      worker: cpuMs(procs.get('worker')!.child.pid),
      postgres: cpuMs(servers.postgres.pid),
      dispatch: cpuMs(procs.get('dispatch')!.child.pid),
      intake: cpuMs(procs.get('intake')!.child.pid),
      reporting: cpuMs(procs.get('reporting')!.child.pid),
      nats: cpuMs(servers.nats.pid),
      bench: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      at: Date.now(),
    });
    // 8. The report burst (issue 15): every district bureau and department gets the receiver as its webhook.
    const burstRound = async (round: keyof typeof BURST_TOPICS): Promise<BurstResult> => {
      log(`burst (${round}): ${BURST.reports} reports about ${BURST.events} events within ${BURST.seconds} s`);
      const result = await measureBurst({
        url: intakeUrl,
        key,
        ...BURST,
        topic: BURST_TOPICS[round],
        cpu: () => {
          const { at: _at, ...byProcess } = cpuNow();
          return byProcess;
        },
        registerWebhooks: async (address) => {
          const units = await db!.selectFrom('units').select('id').where('kind', 'in', ['district_bureau', 'department']).execute();
          const channels: string[] = [];
          const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
          for (const u of units) {
            const res = await fetch(`http://127.0.0.1:${ports.dispatch}/v1/channels`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ unitId: u.id, kind: 'webhook', address }),
            });
            if (!res.ok) throw new Error(`webhook channel refused for ${u.id}: ${res.status} ${await res.text()}`);
            channels.push(((await res.json()) as { id: string }).id);
          }
          // The later phases measure their own receivers: these go once the burst is measured.
          return async () => {
            for (const id of channels)
              await fetch(`http://127.0.0.1:${ports.dispatch}/v1/channels/${id}`, { method: 'DELETE', headers: { authorization: headers.authorization } });
          };
        },
      });
      log(`burst (${round}): ${JSON.stringify(result)}`);
      return result;
    };
    const burstPhase = async (): Promise<{ burst: BurstResult; burstCold?: BurstResult }> => {
      const burstCold = BURST.cold ? await burstRound('cold') : undefined;
      return { burst: await burstRound('warm'), ...(burstCold ? { burstCold } : {}) };
    };
    if (ONLY === 'burst') {
      const bursts = await burstPhase();
      report({
        at: new Date().toISOString(),
        commit: execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim(),
        machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
        settings: { only: 'burst', burst: BURST },
        ...bursts,
        seconds: Math.round((Date.now() - started) / 1000),
      });
      return;
    }
    if (ONLY === 'fairness') {
      const fairness = await fairnessPhase();
      report({
        at: new Date().toISOString(),
        commit: execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim(),
        machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
        settings: { only: 'fairness', fairness: FAIRNESS },
        fairness,
        seconds: Math.round((Date.now() - started) / 1000),
      });
      return;
    }
    // 8 first: the burst measures correlation on an empty platform, not against the intake phases' thousands of alike incidents.
    const bursts = await burstPhase();

    // 6. Fan-out: a loopback webhook for the background district's bureau; the first
    // message about each incident marks when the warning reached the unit.
    const warnedAt = new Map<string, number>();
    const receiver = createServer((req, res) => {
      const eventId = String(req.headers['x-yuqing-event-id'] ?? '');
      const incidentId = /^incident-([0-9a-f-]{36})#\d+\.dispatched$/.exec(eventId)?.[1];
      if (incidentId && !warnedAt.has(incidentId)) warnedAt.set(incidentId, Date.now());
      req.resume();
      req.on('end', () => res.writeHead(200).end('{}'));
    });
    const receiverPort = await freePort();
    await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', r));
    const channel = await fetch(`http://127.0.0.1:${ports.dispatch}/v1/channels`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ unitId: `district-${BACKGROUND_DISTRICT}`, kind: 'webhook', address: `http://127.0.0.1:${receiverPort}/hooks/yuqing` }),
    });
    if (!channel.ok) throw new Error(`webhook channel refused: ${channel.status} ${await channel.text()}`);
    const fanout = new Latencies();

    const rss = () => ({
      worker: rssMiB(procs.get('worker')!.child.pid),
      intake: rssMiB(procs.get('intake')!.child.pid),
      dispatch: rssMiB(procs.get('dispatch')!.child.pid),
      reporting: rssMiB(procs.get('reporting')!.child.pid),
    });
    const footprint: { open: number; rss: ReturnType<typeof rss> }[] = [{ open: 0, rss: rss() }];
    const cpu: Record<string, { incidents: number; wallSeconds: number; busyCores: number; msPerIncident: Record<string, number> }> = {};
    const cpuSince = (label: string, before: ReturnType<typeof cpuNow>, incidents: number) => {
      const after = cpuNow();
      const msPerIncident: Record<string, number> = {};
      let total = 0;
      for (const k of Object.keys(before) as (keyof typeof before)[]) {
        if (k === 'at' || before[k] === undefined || after[k] === undefined) continue;
        const ms = after[k] - before[k];
        if (k !== 'bench') total += ms;
        msPerIncident[k] = Math.round((ms / incidents) * 10) / 10;
      }
      msPerIncident.total = Math.round((total / incidents) * 10) / 10;
      const wallSeconds = (after.at - before.at) / 1000;
      cpu[label] = { incidents, wallSeconds, busyCores: Math.round((total / 1000 / wallSeconds) * 100) / 100, msPerIncident };
      log(`cpu ${label}: ${JSON.stringify(cpu[label])}`);
    };

    // 1. Ceiling: raw starts of an empty workflow, same server, same concurrency.
    const temporal = new Client({ connection: await Connection.connect({ address: servers.temporal.address }) });
    const emptyConnection = await NativeConnection.connect({ address: servers.temporal.address });
    const emptyWorker = await Worker.create({
      connection: emptyConnection,
      taskQueue: 'bench-ceiling',
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./empty.workflow'), logger: new DefaultLogger('WARN') }),
    });
    const emptyRunning = emptyWorker.run();
    const ceiling: Record<number, { startsPerSecond: number; latency: ReturnType<Latencies['summary']> }> = {};
    for (const c of LEVELS) {
      const lat = new Latencies();
      let i = 0;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (i < PER_LEVEL) {
            const n = i++;
            const s = performance.now();
            await temporal.workflow.start('benchEmptyWorkflow', { taskQueue: 'bench-ceiling', workflowId: `bench-empty-${c}-${n}` });
            lat.record(performance.now() - s);
          }
        }),
      );
      ceiling[c] = { startsPerSecond: Math.round((PER_LEVEL / ((Date.now() - t0) / 1000)) * 10) / 10, latency: lat.summary() };
      log(`ceiling at concurrency ${c}: ${ceiling[c].startsPerSecond} starts/s`);
    }
    emptyWorker.shutdown();
    await emptyRunning;
    await emptyConnection.close();

    // 2. Intake end to end at each level, then the batch endpoint.
    const waitDispatched = async (ids: string[], what: string) => {
      await eventually(() => ids.every((id) => seen.dispatched.has(id)), 600_000, what);
      return Math.max(...ids.map((id) => seen.dispatched.get(id)!));
    };
    const intake: Record<string, unknown> = {};
    /** One autocannon run on POST /v1/incidents; `rate` (requests/s overall) for a steady stream instead of a burst. */
    const intakeLevel = async (label: string, c: number, amount: number, rate?: number, fanoutInto?: Latencies) => {
      const lat = new Latencies();
      const toDispatched = new Latencies();
      const acceptedAt = new Map<string, number>();
      let statusErrors = 0;
      const cpuBefore = cpuNow();
      const t0 = Date.now();
      await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: intakeUrl,
            connections: c,
            amount,
            ...(rate ? { overallRate: rate } : {}),
            requests: [
              {
                method: 'POST',
                path: '/v1/incidents',
                headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
                setupRequest: (req) => ({ ...req, body: JSON.stringify(benchIncident(BACKGROUND_DISTRICT)) }),
                onResponse: (status, body) => {
                  if (status === 202) acceptedAt.set((JSON.parse(body) as { id: string }).id, Date.now());
                  else statusErrors++;
                },
              },
            ],
          },
          (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
        );
        instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => lat.record(ms));
      });
      const httpSeconds = (Date.now() - t0) / 1000;
      const ids = [...acceptedAt.keys()];
      const lastDispatched = await waitDispatched(ids, `intake level ${c} dispatched`);
      for (const id of ids) toDispatched.record(seen.dispatched.get(id)! - acceptedAt.get(id)!);
      await eventually(() => ids.every((id) => warnedAt.has(id)), 120_000, 'every warning at the webhook').catch(() => undefined);
      const levelFanout = new Latencies();
      for (const id of ids) {
        if (!warnedAt.has(id)) continue;
        levelFanout.record(warnedAt.get(id)! - acceptedAt.get(id)!);
        fanoutInto?.record(warnedAt.get(id)! - acceptedAt.get(id)!);
      }
      cpuSince(label, cpuBefore, ids.length);
      const e2eSeconds = (lastDispatched - t0) / 1000;
      intake[label] = {
        concurrency: c,
        ...(rate ? { offeredPerSecond: rate } : {}),
        accepted: ids.length,
        rejected: statusErrors,
        httpPerSecond: Math.round((ids.length / httpSeconds) * 10) / 10,
        endToEndPerSecond: Math.round((ids.length / e2eSeconds) * 10) / 10,
        latency202: lat.summary(),
        latency202ToDispatched: toDispatched.summary(),
        latency202ToWebhook: levelFanout.summary(),
      };
      log(`intake ${label}: ${JSON.stringify(intake[label])}`);
    };
    for (const c of LEVELS) await intakeLevel(`single@${c}`, c, PER_LEVEL, undefined, fanout);
    // The same path at a steady rate the platform keeps up with: latency without a queue.
    const fanoutSteady = new Latencies();
    await intakeLevel(`steady@${STEADY_RATE}/s`, 2, STEADY_RATE * 30, STEADY_RATE, fanoutSteady);
    {
      const batches = Math.ceil(PER_LEVEL / 50);
      const lat = new Latencies();
      const t0 = Date.now();
      const ids: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < batches) {
            next++;
            const s = performance.now();
            const res = await fetch(`${intakeUrl}/v1/incidents/batch`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify({ incidents: Array.from({ length: 50 }, () => benchIncident(BACKGROUND_DISTRICT)) }),
            });
            lat.record(performance.now() - s);
            const body = (await res.json()) as { results: { status: number; incident?: { id: string } }[] };
            for (const r of body.results) if (r.incident) ids.push(r.incident.id);
          }
        }),
      );
      const httpSeconds = (Date.now() - t0) / 1000;
      const lastDispatched = await waitDispatched(ids, 'batch dispatched');
      intake['batch50@4'] = {
        concurrency: 4,
        batchSize: 50,
        accepted: ids.length,
        httpPerSecond: Math.round((ids.length / httpSeconds) * 10) / 10,
        endToEndPerSecond: Math.round((ids.length / ((lastDispatched - t0) / 1000)) * 10) / 10,
        latencyPerBatch: lat.summary(),
      };
      log(`batch: ${JSON.stringify(intake['batch50@4'])}`);
    }

    /** Reports `size` incidents of a district in one batch request; returns the ids accepted. */
    const reportBatch = async (district: string, size: number): Promise<string[]> => {
      const res = await fetch(`${intakeUrl}/v1/incidents/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ incidents: Array.from({ length: size }, () => benchIncident(district)) }),
      });
      const body = (await res.json()) as { results: { incident?: { id: string } }[] };
      return body.results.flatMap((r) => (r.incident ? [r.incident.id] : []));
    };

    // 3. Fill up to N_OPEN - N_LAPSING open incidents, sampling the footprint on the way.
    const fill = async (target: number, district: string, onEach?: (ids: string[]) => Promise<void>) => {
      const ids: string[] = [];
      while (seen.dispatched.size < target) {
        const want = Math.min(500, target - seen.dispatched.size - ids.filter((id) => !seen.dispatched.has(id)).length);
        if (want <= 0) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        const chunk: string[] = [];
        await Promise.all(
          Array.from({ length: Math.ceil(want / 50) }, async (_, b) => {
            chunk.push(...(await reportBatch(district, Math.min(50, want - b * 50))));
          }),
        );
        ids.push(...chunk);
        await onEach?.(chunk);
      }
      return ids;
    };
    const nextSample = { at: 2_000 };
    log(`filling to ${N_OPEN - N_LAPSING} open incidents`);
    const fillFrom = { cpu: cpuNow(), open: seen.dispatched.size };
    await fill(N_OPEN - N_LAPSING, BACKGROUND_DISTRICT, async () => {
      if (seen.dispatched.size >= nextSample.at) {
        footprint.push({ open: seen.dispatched.size, rss: rss() });
        nextSample.at += 2_000;
      }
    });
    await eventually(() => seen.dispatched.size >= N_OPEN - N_LAPSING, 600_000, 'background dispatched');
    footprint.push({ open: seen.dispatched.size, rss: rss() });
    cpuSince('fill', fillFrom.cpu, seen.dispatched.size - fillFrom.open);

    // 4. Alert lateness: N_LAPSING deadlines lapsing within one minute.
    log(`reporting ${N_LAPSING} incidents over ${LAPSE_WINDOW_S} s, whose acknowledgement lapses ${LAPSE_AFTER} after dispatch`);
    // Counted from what is open now: the intake levels above may already exceed the background target.
    const openTarget = seen.dispatched.size + N_LAPSING;
    // At an even pace over the window, so the deadlines spread over it ("within the same
    // minute") whatever the machine's intake speed; a slower machine shows a longer spread.
    const lapsingIds: string[] = [];
    {
      const perRequest = 10;
      const requests = Math.ceil(N_LAPSING / perRequest);
      const t0 = Date.now();
      for (let k = 0; k < requests; k++) {
        const wait = t0 + (k * LAPSE_WINDOW_S * 1000) / requests - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        lapsingIds.push(...(await reportBatch(LAPSING_DISTRICT, Math.min(perRequest, N_LAPSING - k * perRequest))));
      }
    }
    await eventually(() => seen.dispatched.size >= openTarget, 600_000, 'all dispatched');
    footprint.push({ open: seen.dispatched.size, rss: rss() });
    const lapseWindowMs = 15 * 60_000;
    // CPU from the first lapse to the last: what each alert costs while they arrive.
    await eventually(() => seen.lapsed.size > 0, lapseWindowMs, 'the first lapse').catch(() => undefined);
    const lapseCpu = cpuNow();
    await eventually(() => lapsingIds.every((id) => seen.lapsed.has(id)), lapseWindowMs, 'every lapse').catch(() => undefined);
    cpuSince('lapses', lapseCpu, Math.max(1, seen.lapsed.size));
    const late = new Latencies();
    // Split: the timer's own lateness (the workflow's clock when it woke) and raising → on the bus.
    const timerLate = new Latencies();
    const raisedToBus = new Latencies();
    const dueTimes: number[] = [];
    for (const id of lapsingIds) {
      const l = seen.lapsed.get(id);
      if (!l) continue;
      late.record(Math.max(0, l.arrivedAt - l.dueAt));
      timerLate.record(Math.max(0, l.raisedAt - l.dueAt));
      raisedToBus.record(Math.max(0, l.arrivedAt - l.raisedAt));
      dueTimes.push(l.dueAt);
    }
    const lateness = {
      deadlines: lapsingIds.length,
      arrived: late.count,
      missing: lapsingIds.length - late.count,
      deadlineSpreadSeconds: dueTimes.length ? Math.round((Math.max(...dueTimes) - Math.min(...dueTimes)) / 100) / 10 : NaN,
      lateMs: late.summary(),
      timerLateMs: timerLate.summary(),
      raisedToBusMs: raisedToBus.summary(),
    };
    log(`lateness: ${JSON.stringify(lateness)}`);
    // At rest: V8 grows its heap under a burst and gives it back once collected; the
    // footprint of the open incidents is what stays when the work has settled.
    await new Promise((r) => setTimeout(r, 15_000));
    footprint.push({ open: seen.dispatched.size, rss: rss() });

    // 5. Footprint at rest, and its growth per 1,000 open incidents from the empty start.
    const growth = (k: keyof ReturnType<typeof rss>) => {
      const [first, last] = [footprint[0]!, footprint.at(-1)!];
      if (first.rss[k] === undefined || last.rss[k] === undefined || last.open === 0) return NaN;
      return Math.round(((last.rss[k] - first.rss[k]) / (last.open / 1000)) * 10) / 10;
    };
    const final = footprint.at(-1)!;
    // The largest sample of each process: the footprint while the incidents are open, not after a collection.
    const peak = Object.fromEntries((['worker', 'intake', 'dispatch', 'reporting'] as const).map((k) => [k, Math.max(...footprint.map((f) => f.rss[k] ?? 0))]));

    const fairness = await fairnessPhase();

    const result = {
      at: new Date().toISOString(),
      commit: execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim(),
      machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      settings: {
        openIncidents: N_OPEN,
        lapsing: N_LAPSING,
        perLevel: PER_LEVEL,
        levels: LEVELS,
        lapseAfter: LAPSE_AFTER,
        lapseWindowSeconds: LAPSE_WINDOW_S,
        steadyRate: STEADY_RATE,
        fairness: FAIRNESS,
        burst: BURST,
        env: Object.fromEntries(
          Object.entries(env).filter(([k]) => (k.startsWith('WORKER_') && k !== 'WORKER_METRICS_PORT') || k === 'DATABASE_POOL_MAX' || k === 'OUTBOX_POLL_MS'),
        ),
      },
      ceiling,
      intake,
      ratio: Object.fromEntries(
        LEVELS.map((c) => [
          c,
          Math.round(((intake[`single@${c}`] as { endToEndPerSecond: number }).endToEndPerSecond / ceiling[c]!.startsPerSecond) * 100) / 100,
        ]),
      ),
      lateness,
      footprint: {
        samples: footprint,
        final: final.rss,
        peak,
        growthMiBPer1000: { worker: growth('worker'), intake: growth('intake'), dispatch: growth('dispatch'), reporting: growth('reporting') },
      },
      fanout: fanout.summary(),
      fanoutSteady: fanoutSteady.summary(),
      cpu,
      fairness,
      ...bursts,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    report(result);
    await temporal.connection.close();
    receiver.close();
  } finally {
    await nc?.close();
    stopping = true;
    // SIGTERM first so a profiled process writes its profile.
    await Promise.all([...procs.values()].map((p) => Promise.race([p.stop('SIGTERM'), new Promise((r) => setTimeout(r, 15_000))])));
    await Promise.all([...procs.values()].map((p) => p.stop('SIGKILL')));
    // What the services logged (warnings and errors: a request answered 500 is explained here).
    const logDir = path.join(REPO_ROOT, 'bench', 'results', 'logs');
    mkdirSync(logDir, { recursive: true });
    for (const [name, p] of procs) writeFileSync(path.join(logDir, `${name}.log`), p.output());
    await db?.destroy();
    await servers.destroy();
  }
}

function report(r: Record<string, any>): void {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${r.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(r, null, 2));
  const rows: [string, string, string][] = [];
  for (const [c, v] of Object.entries((r.ceiling ?? {}) as Record<string, any>))
    rows.push([`ceiling: empty workflow starts/s @${c}`, String(v.startsPerSecond), `start p50/p99 ${v.latency.p50}/${v.latency.p99} ms`]);
  for (const [k, v] of Object.entries((r.intake ?? {}) as Record<string, any>)) {
    rows.push([
      `intake ${k}: accepted/s (HTTP)`,
      String(v.httpPerSecond),
      v.latency202
        ? `202 p50/p95/p99 ${v.latency202.p50}/${v.latency202.p95}/${v.latency202.p99} ms`
        : `batch p50/p95/p99 ${v.latencyPerBatch.p50}/${v.latencyPerBatch.p95}/${v.latencyPerBatch.p99} ms`,
    ]);
    rows.push([
      `intake ${k}: end to end/s`,
      String(v.endToEndPerSecond),
      v.latency202ToDispatched
        ? `202→dispatched p50/p95/p99 ${v.latency202ToDispatched.p50}/${v.latency202ToDispatched.p95}/${v.latency202ToDispatched.p99} ms`
        : '',
    ]);
  }
  for (const [c, v] of Object.entries((r.ratio ?? {}) as Record<string, number>)) rows.push([`ratio intake ÷ ceiling @${c}`, String(v), 'target ≥ 0.8']);
  const l = r.lateness;
  if (l)
    rows.push([
      'alert lateness p50/p99/max (ms)',
      `${l.lateMs.p50}/${l.lateMs.p99}/${l.lateMs.max}`,
      `target p99 ≤ 1000, max ≤ 2000; ${l.arrived}/${l.deadlines} arrived, ${l.missing} missing, deadlines spread over ${l.deadlineSpreadSeconds} s`,
    ]);
  if (l?.timerLateMs)
    rows.push([
      '  of which timer woke late / raised → bus p50/p99 (ms)',
      `${l.timerLateMs.p50}/${l.timerLateMs.p99}`,
      `${l.raisedToBusMs.p50}/${l.raisedToBusMs.p99} from the alert's time to the event on NATS`,
    ]);
  const f = r.footprint;
  if (f) {
    rows.push([
      `RSS with ${r.settings.openIncidents} open, at rest (MiB)`,
      `worker ${f.final.worker}`,
      `intake ${f.final.intake}, dispatch ${f.final.dispatch}, reporting ${f.final.reporting}; target worker ≤ 1024`,
    ]);
    rows.push([
      'RSS peak during the bursts (MiB)',
      `worker ${f.peak.worker}`,
      `intake ${f.peak.intake}, dispatch ${f.peak.dispatch}, reporting ${f.peak.reporting}; V8 heap grown under load, returned once collected`,
    ]);
    rows.push([
      'RSS growth per 1,000 open, at rest (MiB)',
      `worker ${f.growthMiBPer1000.worker}`,
      `intake ${f.growthMiBPer1000.intake}, dispatch ${f.growthMiBPer1000.dispatch}, reporting ${f.growthMiBPer1000.reporting}`,
    ]);
  }
  if (r.fanout)
    rows.push([
      'fan-out 202 → first webhook p50/p95/p99 (ms)',
      `${r.fanout.p50}/${r.fanout.p95}/${r.fanout.p99}`,
      `target p95 ≤ 200; ${r.fanout.count} warnings measured under the intake bursts above`,
    ]);
  if (r.fanoutSteady)
    rows.push([
      'fan-out at a steady rate p50/p95/p99 (ms)',
      `${r.fanoutSteady.p50}/${r.fanoutSteady.p95}/${r.fanoutSteady.p99}`,
      `${r.fanoutSteady.count} warnings, ${r.settings.steadyRate} incidents/s offered`,
    ]);
  for (const [phase, v] of Object.entries((r.cpu ?? {}) as Record<string, any>)) {
    const { total, ...by } = v.msPerIncident;
    rows.push([
      `CPU ms per ${phase === 'lapses' ? 'lapse' : 'incident'}, ${phase}`,
      String(total),
      `${Object.entries(by as Record<string, number>)
        .map(([k, ms]) => `${k} ${ms}`)
        .join(', ')}; ${v.busyCores} cores busy over ${Math.round(v.wallSeconds)} s`,
    ]);
  }
  const cold = r.burstCold as BurstResult | undefined;
  if (cold) burstRows(rows, 'burst, cold', cold);
  const b = r.burst as BurstResult | undefined;
  if (b) burstRows(rows, cold ? 'burst, warm' : 'burst', b);
  for (const [label, v] of Object.entries((r.fairness ?? {}) as Record<string, FairnessResult>)) {
    const q = (s: FairnessResult['quietIdle']) => `${s.p50}/${s.p95}`;
    rows.push([
      `fairness, ${label}: quiet key p50/p95 idle → during bursts (ms)`,
      `${q(v.quietIdle)} → ${q(v.quietDuringBurst)}`,
      `${v.quietIdle.count}/${v.quietDuringBurst.count} samples, ${v.quietRefused} quiet requests refused; loud keys: ${v.loud.bursts} × ${v.loud.sentPerBurst} at ${v.loud.connections} connections, ` +
        `${v.loud.accepted} accepted, ${v.loud.refused429} answered 429, ${v.loud.other} other, bursts of ${v.loud.burstSeconds.join('/')} s, loud p50/p95 ${v.loud.latency.p50}/${v.loud.latency.p95} ms`,
    ]);
  }
  const width = Math.max(...rows.map((x) => x[0].length));
  process.stdout.write(`\n${rows.map(([a, b, c]) => `${a.padEnd(width)}  ${b.padStart(14)}  ${c}`).join('\n')}\n\n`);
  const md = [
    '',
    `## Run of ${r.at.slice(0, 16).replace('T', ' ')} UTC — commit ${r.commit}`,
    '',
    `Machine: ${r.machine}. Took ${r.seconds} s. Settings: ${JSON.stringify(r.settings)}.`,
    '',
    '| measure | value | detail |',
    '| --- | ---: | --- |',
    ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
    '',
  ].join('\n');
  // BENCH_RECORD=0 for trial runs that should not land in BENCHMARKS.md.
  if (process.env.BENCH_RECORD !== '0') appendFileSync(path.join(REPO_ROOT, 'BENCHMARKS.md'), md);
}

/**
 * Intake runs at the priority its systemd unit gives it (`Nice=` in
 * infra/systemd/yuqing-intake@.service), so the bench measures what is deployed;
 * a user that may not raise priorities measures it at its own, and says so.
 */
function prioritise(pid: number | undefined): void {
  const unit = readFileSync(path.join(REPO_ROOT, 'infra', 'systemd', 'yuqing-intake@.service'), 'utf8');
  const nice = Number(/^Nice=(-?\d+)$/m.exec(unit)?.[1] ?? 0);
  try {
    if (pid !== undefined) os.setPriority(pid, nice);
    log(`intake at nice ${nice}, as its systemd unit`);
  } catch (err) {
    log(`intake left at nice 0 (its unit says ${nice}): ${(err as Error).message}`);
  }
}

/** The report burst's rows (issue 15) under `name`. */
function burstRows(rows: string[][], name: string, b: BurstResult): void {
  rows.push([
    `${name}: reports accepted/s`,
    String(b.acceptedPerSecond),
    `${b.accepted}/${b.reports} accepted (${b.failed} failed${
      b.failed
        ? `: ${Object.entries(b.failures)
            .map(([k, n]) => `${k} ×${n}`)
            .join(', ')}`
        : ''
    }) about ${b.events} events, offered within ${b.seconds} s; 202 p50/p99 ${b.latency202.p50}/${b.latency202.p99} ms (target p99 ≤ 50 at 10,000/min); over 50 ms: ${b.over50ms.client} as timed here, ${b.over50ms.intake} of ${b.over50ms.intakeCount} as intake timed itself`,
  ]);
  rows.push([
    `${name}: incidents opened`,
    String(b.incidents),
    `target exactly ${b.events}; ${b.splitEvents} events spread over more than one incident, ${b.mixedIncidents} incidents holding more than one event`,
  ]);
  rows.push([
    `${name}: correlation precision / recall`,
    `${b.precision} / ${b.recall}`,
    `pairs of reports against the generated truth; joined by ${Object.entries(b.byRule)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; ${b.reassessed} re-assessments`,
  ]);
  rows.push([
    `${name}: first report → first warning p50/p95 (ms)`,
    `${b.firstWarning.p50}/${b.firstWarning.p95}`,
    `target p95 ≤ 1000; ${b.firstWarning.count} events measured, ${b.firstWarning.missing} without a warning at the webhook`,
  ]);
  const { total, ...by } = b.cpuMsPerReport;
  rows.push([
    `${name}: CPU ms per report`,
    String(total),
    Object.entries(by)
      .map(([k, ms]) => `${k} ${ms}`)
      .join(', '),
  ]);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
