/**
 * The two profiles side by side, in one command (`make bench-profiles`; BENCHMARKS.md,
 * "Dev and cluster profiles"). For each profile:
 *   1. the ceilings: empty workflow starts per second with the SDK client, and workflows of
 *      the incident's shape (its first workflow task as a real incident's history shows it:
 *      version markers, local activities returning as much, deadline timers, upserts, all
 *      doing nothing) started and through that task, per second;
 *   2. end to end: incidents posted to intake until each has its tasks projected by
 *      dispatch (HTTP, PostgreSQL, outbox, workflow start, events over NATS), per second,
 *      and its ratio to the same-shape ceiling (what we add beyond Temporal's own work);
 *   3. CPU per incident by process during 2, and per shaped workflow during 1;
 *   4. alert lateness: filled to BENCH_OPEN_INCIDENTS open, then BENCH_LAPSING incidents
 *      reported at an even pace over BENCH_LAPSE_WINDOW s in a district whose local plan
 *      (published through the API) makes the acknowledgement lapse BENCH_LAPSE_AFTER after
 *      dispatch; lateness = dispatch consuming `deadline_lapsed` − its due time, and the
 *      timer's own part (the workflow's clock when it woke); CPU per lapse; workers' RSS.
 *   BENCH_PROFILE=dev,cluster (default): both, then a table side by side, appended to
 *   BENCHMARKS.md unless BENCH_RECORD=0.
 *   cluster  against the cluster profile through HAProxy (brought up with infra/cluster.sh up if it is not)
 *   dev      the worker and services as processes on the dev stack's Temporal, NATS, PostgreSQL
 * BENCH_INCIDENTS (300), BENCH_STARTS (300), BENCH_CONCURRENCY (16), BENCH_OPEN_INCIDENTS (10,000),
 * BENCH_LAPSING (1,000), BENCH_LAPSE_AFTER (100s), BENCH_LAPSE_WINDOW (55).
 */
import { execSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowStartOptions } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { createDb, LIVE_STATUSES, type Db } from '@yuqing/shared';
import {
  connectTestClient,
  createTestDatabase,
  createTestKey,
  eventually,
  prepareTemplateDatabase,
  REPO_ROOT,
  stackEnv,
  startPlatformProcesses,
  testNatsOptions,
  terminateTestWorkflows,
  testPlatformEnv,
  testTaskQueue,
} from '@yuqing/testkit';
import type { IncidentShape } from './shape.workflow';
import { benchIncident } from './load';
import { cpuMs, Latencies, rssMiB } from './stats';

const PROFILES = (process.env.BENCH_PROFILE ?? 'dev,cluster').split(',') as ('dev' | 'cluster')[];
const N = Number(process.env.BENCH_INCIDENTS ?? 300);
const STARTS = Number(process.env.BENCH_STARTS ?? 300);
const C = Number(process.env.BENCH_CONCURRENCY ?? 16);
const N_OPEN = Number(process.env.BENCH_OPEN_INCIDENTS ?? 10_000);
const N_LAPSING = Number(process.env.BENCH_LAPSING ?? 1_000);
const LAPSE_AFTER = process.env.BENCH_LAPSE_AFTER ?? '100s';
const LAPSE_WINDOW_S = Number(process.env.BENCH_LAPSE_WINDOW ?? 55);
/**
 * How often the bench asks PostgreSQL whether incidents are projected or lapses arrived. The
 * answers carry their own times (processed_at), so a slow probe loses no precision; at 100 ms
 * its join over 1,000–9,000 ids took CPU from the platform it measures and counted as PostgreSQL's.
 */
const PROBE_MS = 1_000;
const BACKGROUND_DISTRICT = '230103';
const LAPSING_DISTRICT = '230184';
let profile = PROFILES[0]!;
const log = (msg: string) => process.stderr.write(`[profiles ${profile} ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Target {
  intake: string;
  dispatch: string;
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
  if (profile === 'cluster') {
    const dir = path.join(REPO_ROOT, '.data', 'cluster');
    if (
      !(await fetch('http://127.0.0.1:3201/readyz').then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      log('the cluster profile is not up: infra/cluster.sh up');
      execSync(path.join(REPO_ROOT, 'infra', 'cluster.sh') + ' up', { stdio: ['ignore', process.stderr, process.stderr] });
    }
    const db = createDb({ url: 'postgres://postgres@127.0.0.1:5532/yuqing', poolMax: 4 });
    return {
      intake: 'http://127.0.0.1:3201',
      dispatch: 'http://127.0.0.1:3202',
      temporal: '127.0.0.1:7333',
      taskQueue: 'incidents',
      db,
      key: readFileSync(path.join(dir, 'etc', 'secrets', 'admin-key'), 'utf8').trim(),
      pids: () =>
        Object.fromEntries(readdirSync(path.join(dir, 'pids')).map((f) => [f.replace(/\.pid$/, ''), Number(readFileSync(path.join(dir, 'pids', f), 'utf8'))])),
      stop: () => db.destroy(),
    };
  }
  // On a new machine no test has run yet to make the migrated template the copy comes from.
  await prepareTemplateDatabase();
  const t = await createTestDatabase();
  const nats = testNatsOptions('profiles');
  const taskQueue = testTaskQueue();
  const platform = await startPlatformProcesses(
    { ...testPlatformEnv(t.url, nats, taskQueue), RATE_LIMIT_PER_MINUTE: '1000000', CLIENT_MAX_IN_FLIGHT: '64' },
    // BENCH_CPU_PROFILE=worker,intake (any of the four): their V8 CPU profiles, written when they stop (open them in Chrome DevTools).
    {
      nodeArgs: Object.fromEntries(
        (process.env.BENCH_CPU_PROFILE ?? '')
          .split(',')
          .filter(Boolean)
          .map((name) => [name, ['--cpu-prof', `--cpu-prof-dir=${path.join(REPO_ROOT, 'bench', 'results', 'profiles')}`]]),
      ),
    },
  );
  return {
    intake: platform.urls.intake,
    dispatch: platform.urls.dispatch,
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
      // Stopped gently, so that a process writes its CPU profile on the way out.
      await platform.stop('SIGTERM');
      await t.drop();
      // Their database is gone; left running on the shared dev server, their deadline timers (2 h on)
      // would fire during a later run and count as its Temporal CPU and lateness.
      const client = await connectTestClient();
      try {
        log(`ended the run's ${String(await terminateTestWorkflows(client, taskQueue, 'bench done'))} workflows`);
      } finally {
        await client.connection.close();
      }
    },
  };
}

/** Posts `count` incidents at concurrency C; answers their ids and the POST latencies. */
async function postIncidents(
  tg: Target,
  count: number,
  tag: string,
  district = BACKGROUND_DISTRICT,
): Promise<{ ids: string[]; latency: Latencies; failed: number; refusedBy: Record<string, number>; retried: number; rateLimited: number; seconds: number }> {
  const latency = new Latencies();
  let retried = 0;
  let rateLimited = 0;
  const ids: string[] = [];
  let next = 0;
  let failed = 0;
  const refusedBy: Record<string, number> = {};
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: Math.min(C, count) }, async () => {
      while (next < count) {
        const n = next++;
        const body = JSON.stringify(benchIncident(district));
        const s = performance.now();
        // As the monitoring platform does: a connection that failed is tried again with the same key (at most 5 times),
        // and a request over the per-minute limit (the cluster profile keeps production's) again after its Retry-After.
        let res: Response | undefined;
        for (let failures = 0, waits = 0; !res && failures < 5;) {
          res = await fetch(`${tg.intake}/v1/incidents`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tg.key}`, 'content-type': 'application/json', 'idempotency-key': `bench-${tag}-${n}` },
            body,
          }).catch(async () => {
            failures++;
            retried++;
            await new Promise((r) => setTimeout(r, 200));
            return undefined;
          });
          if (res?.status === 429 && waits++ < 30) {
            rateLimited++;
            await new Promise((r) => setTimeout(r, 1_000 * Math.max(1, Number(res!.headers.get('retry-after')) || 1)));
            res = undefined;
          }
        }
        latency.record(performance.now() - s);
        if (res?.status === 202 || res?.status === 200) ids.push(((await res.json()) as { id: string }).id);
        else {
          failed++;
          // What the answer was (or that no connection succeeded), so a report of refusals says which.
          const status = res ? String(res.status) : 'no answer';
          refusedBy[status] = (refusedBy[status] ?? 0) + 1;
        }
      }
    }),
  );
  return { ids, latency, failed, refusedBy, retried, rateLimited, seconds: (Date.now() - t0) / 1000 };
}

/** Waits until dispatch has projected the tasks of every incident named. */
async function projected(tg: Target, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await eventually(
    async () => {
      const rows = await tg.db
        .selectFrom('tasks')
        .select((eb) => eb.fn.count<string>('incidentId').distinct().as('n'))
        .where('incidentId', 'in', ids)
        .executeTakeFirstOrThrow();
      return Number(rows.n) === ids.length;
    },
    // At the slowest end to end seen (≈ 7/s), with room: the fill of 8,699 takes ≈ 20 min.
    Math.max(600_000, ids.length * 300),
    'every incident projected',
    PROBE_MS,
  );
}

/** What a ceiling's start request carries: the server stores and indexes all of it. */
type StartOptions = Pick<WorkflowStartOptions, 'args' | 'memo' | 'typedSearchAttributes' | 'staticSummary' | 'staticDetails'>;

/** An incident's start request: the size of its input, and the rest as intake sends it. */
interface StartShape {
  inputBytes: number;
  options: Omit<StartOptions, 'args'>;
}

/** When the last of these incidents had its tasks projected (each incident's first task row, PostgreSQL's clock). */
async function lastProjectedAt(tg: Target, ids: readonly string[]): Promise<number> {
  const { at } = await tg.db
    .selectFrom((eb) =>
      eb
        .selectFrom('tasks')
        .select((f) => f.fn.min('updatedAt').as('first'))
        .where('incidentId', 'in', ids)
        .groupBy('incidentId')
        .as('projected'),
    )
    .select((eb) => eb.fn.max('first').as('at'))
    .executeTakeFirstOrThrow();
  return new Date(at).getTime();
}

/**
 * The shape of an incident, counted from a real incident's history: what its start
 * request carries (input, memo, search attributes, summary and details, as intake sends
 * them) and its first workflow task, which the same-shape ceiling's workflow repeats with
 * every side effect a no-op.
 */
async function shapeOfIncident(tg: Target, temporal: Client): Promise<{ task: IncidentShape; start: StartShape }> {
  const { ids } = await postIncidents(tg, 1, `shape-${Date.now()}`);
  await projected(tg, ids);
  const { workflowId } = await tg.db.selectFrom('incidents').select('workflowId').where('id', '=', ids[0]!).executeTakeFirstOrThrow();
  const events = (await temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const markers = events.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []));
  const patches = markers.filter((m) => m.markerName === 'core_patch').length;
  const started = events[0]!;
  const attributes = started.workflowExecutionStartedEventAttributes!;
  const text = (payload: Parameters<typeof defaultPayloadConverter.fromPayload>[0] | null | undefined) =>
    payload ? defaultPayloadConverter.fromPayload<string>(payload) : undefined;
  const start: StartShape = {
    inputBytes: (attributes.input?.payloads ?? []).reduce((sum, p) => sum + (p.data?.length ?? 0), 0),
    options: {
      memo: Object.fromEntries(Object.entries(attributes.memo?.fields ?? {}).map(([k, p]) => [k, defaultPayloadConverter.fromPayload(p)])),
      typedSearchAttributes: decodeTypedSearchAttributes(attributes.searchAttributes?.indexedFields),
      staticSummary: text(started.userMetadata?.summary),
      staticDetails: text(started.userMetadata?.details),
    },
  };
  const task: IncidentShape = {
    patches,
    localActivities: markers
      .filter((m) => m.markerName === 'core_local_activity')
      .map((m) => (m.details?.['result']?.payloads ?? []).reduce((sum, p) => sum + (p.data?.length ?? 0), 0)),
    timers: events.filter((e) => e.timerStartedEventAttributes).length,
    upserts: events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length - patches,
    // The Web UI's details are answered by a query, not kept in the history: an incident's are about this long.
    detailsLength: 200,
  };
  return { task, start };
}

/**
 * Starts STARTS workflows at concurrency C with an in-process worker on a queue of their
 * own; answers starts per second until each has done what `done` waits for.
 */
async function ceiling(
  tg: Target,
  temporal: Client,
  name: string,
  workflowsPath: string,
  options: (workflowId: string) => StartOptions,
  activities: object,
  done: () => Promise<void>,
): Promise<{ perSecond: number; latency: unknown; cpuMs: Record<string, number> }> {
  const connection = await NativeConnection.connect({ address: tg.temporal });
  const queue = `bench-${name}-${Date.now()}`;
  const worker = await Worker.create({
    connection,
    taskQueue: queue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }),
    activities,
  });
  const running = worker.run();
  const pids = { ...tg.pids(), bench: process.pid };
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
  let i = 0;
  const lat = new Latencies();
  const ids: string[] = [];
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (i < STARTS) {
        const workflowId = `${queue}-${i++}`;
        ids.push(workflowId);
        const s = performance.now();
        await temporal.workflow.start(name, { ...options(workflowId), taskQueue: queue, workflowId });
        lat.record(performance.now() - s);
      }
    }),
  );
  await done();
  const seconds = (Date.now() - t0) / 1000;
  const after = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
  worker.shutdown();
  await running;
  await connection.close();
  // What stayed open (the shaped workflows wait as incidents do) is ended, outside the measure.
  await Promise.all(
    ids.map((id) =>
      temporal.workflow
        .getHandle(id)
        .terminate('bench done')
        .catch(() => undefined),
    ),
  );
  await settled(tg);
  return {
    perSecond: Math.round((STARTS / seconds) * 10) / 10,
    latency: lat.summary(),
    cpuMs: Object.fromEntries(Object.keys(pids).map((k) => [k, Math.round(((after[k]! - before[k]!) / STARTS) * 10) / 10])),
  };
}

/**
 * Waits until the profile's processes are close to idle (under two fifths of a core for
 * a second: the cluster profile's sixteen processes use a third of one when idle; at most
 * 30 s), so that what one phase left behind (the ended workflows' visibility and timer
 * tasks in the server) is not counted in the next one's CPU and rate.
 */
async function settled(tg: Target): Promise<void> {
  const pids = Object.values(tg.pids());
  const busyMs = () => pids.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
  const t0 = Date.now();
  for (;;) {
    const before = busyMs();
    await new Promise((r) => setTimeout(r, 1_000));
    const used = busyMs() - before;
    if (used < 400) return;
    if (Date.now() - t0 > 30_000) {
      log(`still ${Math.round(used / 10)} % of a core busy after 30 s; going on`);
      return;
    }
  }
}

async function measure(): Promise<Record<string, any>> {
  const tg = await target();
  const result: Record<string, any> = { profile, incidents: N, starts: STARTS, concurrency: C };
  try {
    const temporal = new Client({ connection: await Connection.connect({ address: tg.temporal }), namespace: 'default' });

    // 1. The ceilings, on the same server: empty workflows, then workflows of the incident's shape.
    const empty = await ceiling(
      tg,
      temporal,
      'benchEmptyWorkflow',
      require.resolve('./empty.workflow'),
      () => ({ args: [] }),
      {},
      async () => undefined,
    );
    result.ceilingStartsPerSecond = empty.perSecond;
    result.ceilingLatencyMs = empty.latency;
    log(`empty-start ceiling ${String(empty.perSecond)} starts/s`);
    const { task: shape, start } = await shapeOfIncident(tg, temporal);
    result.incidentShape = { ...shape, inputBytes: start.inputBytes };
    // The last local activity of each shaped workflow counts it through its first task.
    let through = 0;
    let allThrough!: () => void;
    const everyOneThrough = new Promise<void>((resolve) => (allThrough = resolve));
    const shapeStep = async (_workflowId: string, bytes: number, last: boolean): Promise<string> => {
      if (last && ++through === STARTS) allThrough();
      return 'x'.repeat(bytes);
    };
    const shaped = await ceiling(
      tg,
      temporal,
      'benchShapeWorkflow',
      require.resolve('./shape.workflow'),
      // Started as intake starts an incident's: an input as large, the same memo, search attributes, summary and details.
      (id) => ({ ...start.options, args: [id, shape, 'x'.repeat(start.inputBytes)] }),
      { shapeStep },
      () => everyOneThrough,
    );
    result.shapeCeilingPerSecond = shaped.perSecond;
    result.shapeLatencyMs = shaped.latency;
    result.cpuMsPerShapedWorkflow = withTotal(shaped.cpuMs);
    log(`same-shape ceiling ${String(shaped.perSecond)}/s (${JSON.stringify(shape)})`);
    await temporal.connection.close();

    // 2. End to end, and 3. CPU by process.
    const pids = tg.pids();
    const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
    const t1 = Date.now();
    const posted = await postIncidents(tg, N, String(t1));
    await projected(tg, posted.ids);
    const after = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
    // Until the last incident's tasks were written, by their own time: the probe asks once a second.
    const seconds = ((await lastProjectedAt(tg, posted.ids)) - t1) / 1000;
    const n = posted.ids.length;
    result.acceptedPerSecond = Math.round((n / posted.seconds) * 10) / 10;
    result.endToEndPerSecond = Math.round((n / seconds) * 10) / 10;
    result.ratioToCeiling = Math.round(((result.endToEndPerSecond as number) / empty.perSecond) * 100) / 100;
    result.ratioToShapeCeiling = Math.round(((result.endToEndPerSecond as number) / shaped.perSecond) * 100) / 100;
    result.postLatencyMs = posted.latency.summary();
    result.failed = posted.failed;
    result.refusedBy = posted.refusedBy;
    result.retried = posted.retried;
    result.rateLimited = posted.rateLimited;
    result.cpuMsPerIncident = withTotal(Object.fromEntries(Object.keys(pids).map((k) => [k, Math.round(((after[k]! - before[k]!) / n) * 10) / 10])));
    log(`end to end ${String(result.endToEndPerSecond)}/s, ratio to the same shape ${String(result.ratioToShapeCeiling)}`);

    // 4. Alert lateness at N_OPEN open.
    if (N_LAPSING > 0) result.lateness = await lateness(tg);
    log(JSON.stringify(result));
    return result;
  } finally {
    await tg.stop();
  }
}

/** The lapsing district's local plan: the acknowledgement lapses LAPSE_AFTER after dispatch (a plan may tighten). */
async function publishLapsingPlan(tg: Target): Promise<void> {
  const headers = { authorization: `Bearer ${tg.key}`, 'content-type': 'application/json' };
  const current = await fetch(`${tg.dispatch}/v1/policies/${LAPSING_DISTRICT}`, { headers });
  const baseVersion = current.ok ? ((await current.json()) as { version: number }).version : 0;
  const res = await fetch(`${tg.dispatch}/v1/policies/${LAPSING_DISTRICT}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ baseVersion, note: 'bench', document: { name: 'bench', tiers: { general: { acknowledge: { deadline: LAPSE_AFTER } } } } }),
  });
  if (res.status !== 201) throw new Error(`the lapsing plan was refused: ${res.status} ${await res.text()}`);
}

async function lateness(tg: Target): Promise<Record<string, unknown>> {
  await publishLapsingPlan(tg);
  const open = async () =>
    Number(
      (
        await tg.db
          .selectFrom('incidents')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('status', 'in', LIVE_STATUSES)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const toFill = Math.max(0, N_OPEN - N_LAPSING - (await open()));
  log(`filling with ${toFill} incidents to ${N_OPEN - N_LAPSING} open`);
  const fill = await postIncidents(tg, toFill, `fill-${Date.now()}`);
  if (fill.failed || fill.rateLimited) log(`fill: ${fill.failed} refused (${JSON.stringify(fill.refusedBy)}), ${fill.rateLimited} waits for the rate limit`);
  await projected(tg, fill.ids);
  const openBefore = await open();
  log(`${openBefore} open; reporting ${N_LAPSING} over ${LAPSE_WINDOW_S} s whose acknowledgement lapses ${LAPSE_AFTER} after dispatch`);
  const lapsing: string[] = [];
  const lapsingRefusedBy: Record<string, number> = {};
  const t0 = Date.now();
  const perRequest = 10;
  const requests = Math.ceil(N_LAPSING / perRequest);
  await Promise.all(
    Array.from({ length: requests }, async (_, k) => {
      await new Promise((r) => setTimeout(r, (k * LAPSE_WINDOW_S * 1000) / requests));
      const posted = await postIncidents(tg, Math.min(perRequest, N_LAPSING - k * perRequest), `lapse-${t0}-${k}`, LAPSING_DISTRICT);
      lapsing.push(...posted.ids);
      for (const [status, n] of Object.entries(posted.refusedBy)) lapsingRefusedBy[status] = (lapsingRefusedBy[status] ?? 0) + n;
    }),
  );
  // Each lapse as dispatch consumed it (it plans the notifications), and the workflow's clock when the timer woke it.
  const arrived = async () =>
    tg.db
      .selectFrom('timelineEntries as t')
      .innerJoin('processedEvents as p', (j) => j.onRef('p.eventId', '=', 't.eventId').on('p.consumer', '=', 'dispatch'))
      .select(['t.incidentId', 't.occurredAt', 't.data', 'p.processedAt'])
      .where('t.type', '=', 'deadline_lapsed')
      .where('t.incidentId', 'in', lapsing)
      .execute();
  // While waiting, only how many have arrived (the rows carry their own times): the probe's PostgreSQL CPU counts in the lapses'.
  const arrivedCount = async () =>
    Number(
      (
        await tg.db
          .selectFrom('timelineEntries as t')
          .innerJoin('processedEvents as p', (j) => j.onRef('p.eventId', '=', 't.eventId').on('p.consumer', '=', 'dispatch'))
          .select((eb) => eb.fn.count<string>('t.incidentId').distinct().as('n'))
          .where('t.type', '=', 'deadline_lapsed')
          .where('t.incidentId', 'in', lapsing)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const pids = tg.pids();
  await eventually(async () => (await arrivedCount()) > 0, 15 * 60_000, 'the first lapse', PROBE_MS).catch(() => undefined);
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
  const t1 = Date.now();
  await eventually(async () => (await arrivedCount()) >= lapsing.length, 15 * 60_000, 'every lapse', PROBE_MS).catch(() => undefined);
  const after = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p) ?? 0]));
  const rows = await arrived();
  const late = new Latencies();
  const timerLate = new Latencies();
  const due: number[] = [];
  const counted = new Set<string>();
  for (const r of rows) {
    if (counted.has(r.incidentId)) continue;
    counted.add(r.incidentId);
    const dueAt = Date.parse((r.data as { dueAt: string }).dueAt);
    due.push(dueAt);
    late.record(Math.max(0, new Date(r.processedAt).getTime() - dueAt));
    timerLate.record(Math.max(0, new Date(r.occurredAt).getTime() - dueAt));
  }
  const lapses = Math.max(1, counted.size);
  return {
    open: openBefore + lapsing.length,
    deadlines: lapsing.length,
    refusedBy: lapsingRefusedBy,
    arrived: counted.size,
    missing: lapsing.length - counted.size,
    spreadSeconds: due.length ? Math.round((Math.max(...due) - Math.min(...due)) / 100) / 10 : 0,
    lateMs: late.summary(),
    timerLateMs: timerLate.summary(),
    cpuMsPerLapse: withTotal(Object.fromEntries(Object.keys(pids).map((k) => [k, Math.round(((after[k]! - before[k]!) / lapses) * 10) / 10]))),
    coresBusy: Math.round((Object.keys(pids).reduce((sum, k) => sum + after[k]! - before[k]!, 0) / Math.max(1, Date.now() - t1)) * 100) / 100,
    workerRssMiB: Object.fromEntries(Object.entries(pids).flatMap(([k, p]) => (k.startsWith('worker') ? [[k, rssMiB(p)]] : []))),
  };
}

function withTotal(perProcess: Record<string, number>): Record<string, number> {
  return { ...perProcess, total: Math.round(Object.values(perProcess).reduce((a, b) => a + b, 0) * 10) / 10 };
}

const fmt = (x: string | number | undefined | null): string => (x === undefined || x === null || Number.isNaN(x) ? '–' : String(x));
const byProcess = (cpu: Record<string, number> | undefined): string =>
  cpu
    ? Object.entries(cpu)
        .filter(([k, v]) => k !== 'total' && v >= 0.5)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : '–';

/** The profiles' figures side by side, as BENCHMARKS.md shows them. */
function table(results: Record<string, any>[]): string {
  const row = (label: string, f: (r: Record<string, any>) => string | number | undefined) => `| ${label} | ${results.map((r) => fmt(f(r))).join(' | ')} |`;
  const lat = (l: { p50: number; p99: number; max: number } | undefined, withMax = false) =>
    l ? `${l.p50} / ${l.p99}${withMax ? ` / ${l.max}` : ''}` : undefined;
  return [
    `| | ${results.map((r) => r.profile).join(' | ')} |`,
    `| --- | ${results.map(() => '---').join(' | ')} |`,
    row('empty-start ceiling (starts/s)', (r) => r.ceilingStartsPerSecond),
    row("same-shape ceiling (incident's first task, /s)", (r) => r.shapeCeilingPerSecond),
    row('end to end, 202 → tasks projected (incidents/s)', (r) => r.endToEndPerSecond),
    row('**ratio to the same-shape ceiling** (target ≥ 0.8)', (r) => r.ratioToShapeCeiling),
    row('ratio to the empty-start ceiling', (r) => r.ratioToCeiling),
    row('accepted (202/s); POST p50 / p99 (ms)', (r) => `${fmt(r.acceptedPerSecond)}; ${fmt(lat(r.postLatencyMs))}`),
    row('CPU ms per shaped workflow, total', (r) => r.cpuMsPerShapedWorkflow?.total),
    row('CPU ms per incident, total', (r) => r.cpuMsPerIncident?.total),
    row('— by process', (r) => byProcess(r.cpuMsPerIncident)),
    row('open incidents when the lapses fell', (r) => r.lateness?.open),
    row('**lateness p50 / p99 / max (ms)** (target p99 ≤ 1,000, max ≤ 2,000)', (r) => lat(r.lateness?.lateMs, true)),
    row('— of which the timer woke late, p50 / p99 (ms)', (r) =>
      lat(r.lateness?.timerLateMs && { p50: r.lateness.timerLateMs.p50, p99: r.lateness.timerLateMs.p99 }),
    ),
    row('lapses arrived / missing; deadlines spread (s)', (r) => r.lateness && `${r.lateness.arrived} / ${r.lateness.missing}; ${r.lateness.spreadSeconds}`),
    row('CPU ms per lapse, total (cores busy)', (r) => r.lateness && `${r.lateness.cpuMsPerLapse.total} (${r.lateness.coresBusy})`),
    row('— by process', (r) => byProcess(r.lateness?.cpuMsPerLapse)),
    row('worker RSS after the lapses (MiB)', (r) => r.lateness && Object.values(r.lateness.workerRssMiB as Record<string, number>).join(' + ')),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: Record<string, any>[] = [];
  for (const p of PROFILES) {
    profile = p;
    results.push(await measure());
  }
  const commit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT }).toString().trim();
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const md = [
    '',
    `## Profiles side by side, run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — commit ${commit}`,
    '',
    `\`make bench-profiles\`. Machine: ${machine}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')} at the end. Took ${Math.round((Date.now() - started) / 1000)} s. ` +
      `${STARTS} starts per ceiling, ${N} incidents end to end at concurrency ${C}, ${N_LAPSING} lapsing over ${LAPSE_WINDOW_S} s at ${N_OPEN} open.`,
    '',
    table(results),
    '',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
  if (process.env.BENCH_RECORD !== '0') appendFileSync(path.join(REPO_ROOT, 'BENCHMARKS.md'), md);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
