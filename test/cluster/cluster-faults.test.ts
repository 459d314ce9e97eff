/**
 * Node-level faults on the running cluster profile (`infra/cluster.sh up`; run with
 * `make test-cluster`): during a burst of incidents sent through HAProxy, an intake
 * instance, a worker and a NATS node are killed (SIGKILL); while units acknowledge,
 * a dispatch instance is killed. Clients retry with their Idempotency-Key. The
 * worker and the NATS node stay down while the deadlines fall due: the other worker
 * fires their timers, two NATS nodes carry the stream. Then: every accepted incident
 * is there once with its workflow, every acknowledgement landed once, every deadline
 * that lapsed is alerted exactly once, and Prometheus saw the dead worker.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createDb, DEFAULT_POLICY, type Db, type PolicyDocumentInput } from '@yuqing/shared';
import { createTestKey, eventually, publishCityPolicy, REPO_ROOT, sampleIncident, sleep } from '@yuqing/testkit';

const CLUSTER = process.env.YUQING_CLUSTER_DIR ?? path.join(REPO_ROOT, '.data', 'cluster');
const URL = { intake: 'http://127.0.0.1:3201', dispatch: 'http://127.0.0.1:3202', reporting: 'http://127.0.0.1:3203', prometheus: 'http://127.0.0.1:9190' };
const INCIDENTS = 24;
const ACK_DEADLINE_S = 45;

let db: Db;
let temporal: Client;
let admin: string;
let nangang: string;
const killed = new Set<string>();

/** infra/cluster.sh, without blocking the test's event loop (the clients keep sending meanwhile). */
const cluster = async (...args: string[]) =>
  (await promisify(execFile)('bash', [path.join(REPO_ROOT, 'infra', 'cluster.sh'), ...args], { encoding: 'utf8' })).stdout;

async function kill(name: string): Promise<void> {
  await cluster('kill', name);
  killed.add(name);
}

/** A client that retries with the same Idempotency-Key until it gets an answer that is not the load balancer's or a draining instance's. */
async function send(url: string, key: string, body: unknown, idempotencyKey: string, stats: { retries: number }): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      if (![502, 503, 504].includes(res.status) || attempt >= 60) return res;
    } catch (err) {
      if (attempt >= 60) throw err;
    }
    stats.retries++;
    await sleep(500);
  }
}

function sensitiveAckPolicy(): PolicyDocumentInput {
  const doc = structuredClone<PolicyDocumentInput>(DEFAULT_POLICY);
  doc.name = `故障测试策略(签收 ${ACK_DEADLINE_S} 秒)`;
  doc.tiers.sensitive.tasks = [{ kind: 'acknowledge', owner: 'district_bureau', deadline: `${ACK_DEADLINE_S}s`, chain: [] }];
  return doc;
}

beforeAll(async () => {
  const ready = await fetch(`${URL.intake}/readyz`).catch(() => undefined);
  if (!ready?.ok) throw new Error('the cluster profile is not running: start it with infra/cluster.sh up (make up-cluster)');
  db = createDb({ url: 'postgres://postgres@127.0.0.1:5532/yuqing', poolMax: 4, applicationName: 'cluster-faults' });
  temporal = new Client({ connection: await Connection.connect({ address: '127.0.0.1:7333' }), namespace: 'default' });
  admin = readFileSync(path.join(CLUSTER, 'etc', 'secrets', 'admin-key'), 'utf8').trim();
  nangang = await createTestKey(db, { scopes: ['tasks:act'], unitId: 'district-230103', roles: ['district_bureau'] });
  await publishCityPolicy(db, sensitiveAckPolicy());
});

afterAll(async () => {
  for (const name of killed) await cluster('start', name);
  // The profile goes back to the city's standing policy for whoever uses it next.
  await publishCityPolicy(db, DEFAULT_POLICY);
  await temporal?.connection.close();
  await db?.destroy();
}, 300_000); // each process killed may take its start's 90 s

/** Waits until every acknowledge task of `ids` is past due, then checks each task open at its deadline has exactly one lapse alert and no other has one. */
async function expectEachLapseAlertedOnce(ids: string[]): Promise<{ alerts: number; lateMs: number[] }> {
  const lastDue = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.max('dueAt').as('due'))
    .where('incidentId', 'in', ids)
    .executeTakeFirstOrThrow();
  await sleep(Math.max(0, new Date(lastDue.due as Date).getTime() + 5_000 - Date.now()));
  const tasks = await eventually(
    async () => {
      const rows = await db.selectFrom('tasks').selectAll().where('incidentId', 'in', ids).where('kind', '=', 'acknowledge').execute();
      const lapsed = rows.filter((t) => t.status === 'open');
      const alerts = await db
        .selectFrom('alerts')
        .select(['incidentId', 'taskKey'])
        .where('incidentId', 'in', ids)
        .where('kind', '=', 'deadline_lapsed')
        .execute();
      return alerts.length >= lapsed.length && lapsed.length > 0 && rows;
    },
    60_000,
    'every lapse alerted',
  );
  const alerts = await db.selectFrom('alerts').selectAll().where('incidentId', 'in', ids).where('kind', '=', 'deadline_lapsed').execute();
  const perTask = new Map<string, number>();
  for (const a of alerts) perTask.set(`${a.incidentId}/${a.taskKey}`, (perTask.get(`${a.incidentId}/${a.taskKey}`) ?? 0) + 1);
  for (const t of tasks) {
    const n = perTask.get(`${t.incidentId}/${t.key}`) ?? 0;
    expect({ task: `${t.incidentId}/${t.key}`, status: t.status, alerts: n }).toEqual({
      task: `${t.incidentId}/${t.key}`,
      status: t.status,
      alerts: t.status === 'open' ? 1 : 0,
    });
  }
  return { alerts: alerts.length, lateMs: alerts.map((a) => a.raisedAt.getTime() - a.dueAt.getTime()).sort((a, b) => a - b) };
}

/** Every accepted incident is in PostgreSQL once, has its workflow, and its `received` event reached the timeline once. */
async function expectNothingLost(ids: string[]): Promise<void> {
  expect(await db.selectFrom('incidents').select(['id']).where('id', 'in', ids).execute()).toHaveLength(ids.length);
  for (const id of ids) await temporal.workflow.getHandle(`incident-${id}`).describe();
  await eventually(
    async () =>
      (await db.selectFrom('timelineEntries').select('incidentId').where('incidentId', 'in', ids).where('type', '=', 'received').execute()).length ===
      ids.length,
    60_000,
    'every received event in the timeline',
  );
}

it('kill an intake instance, a worker and a NATS node in a burst, a dispatch instance while units act: nothing accepted is lost, nothing doubled, every lapse alerted once', async () => {
  const stats = { retries: 0 };
  const started = Date.now();
  const keys = Array.from({ length: INCIDENTS }, () => `fault-${randomUUID()}`);
  const accepted = new Map<string, string>();
  const faults: Record<number, string> = { 6: 'intake-1', 12: 'worker-1', 18: 'nats-2' };

  // The burst: four clients at once; a fault as the 6th, 12th and 18th incident go out.
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < INCIDENTS) {
        const i = next++;
        if (faults[i]) await kill(faults[i]);
        const res = await send(`${URL.intake}/v1/incidents`, admin, sampleIncident({ title: `故障测试 ${i}` }), keys[i]!, stats);
        expect([200, 202]).toContain(res.status);
        accepted.set(keys[i]!, ((await res.json()) as { id: string }).id);
      }
    }),
  );
  expect(accepted.size).toBe(INCIDENTS);

  // Prometheus sees the dead worker (its alert is pending, then firing after a minute).
  await eventually(
    async () => {
      const alerts = (await (await fetch(`${URL.prometheus}/api/v1/alerts`)).json()) as {
        data: { alerts: { labels: Record<string, string>; state: string }[] };
      };
      return alerts.data.alerts.some((a) => a.labels.alertname === 'TargetDown' && a.labels.instance === '127.0.0.1:9564');
    },
    30_000,
    'TargetDown for worker-1 in Prometheus',
  );

  // 南岗区 acknowledges half of them; dispatch-1 is killed after the first few.
  const ids = [...accepted.values()];
  const acked = ids.slice(0, INCIDENTS / 2);
  for (const [n, id] of acked.entries()) {
    if (n === 3) await kill('dispatch-1');
    await eventually(
      async () =>
        (await db.selectFrom('tasks').select('key').where('incidentId', '=', id).where('unitId', '=', 'district-230103').executeTakeFirst()) !== undefined,
      60_000,
      `the task of ${id}`,
    );
    const res = await send(`${URL.dispatch}/v1/incidents/${id}/actions/acknowledge`, nangang, {}, `ack-${id}`, stats);
    expect(res.status).toBe(200);
  }

  // Every deadline falls due with worker-1 and nats-2 still down; each lapse must be alerted once.
  const lapses = await expectEachLapseAlertedOnce(ids);
  await expectNothingLost(ids);
  // Each acknowledgement landed once (one acknowledged event per acknowledged incident), on the district's task.
  const acks = await db.selectFrom('timelineEntries').select('incidentId').where('incidentId', 'in', acked).where('type', '=', 'acknowledged').execute();
  expect(acks.map((a) => a.incidentId).sort()).toEqual([...acked].sort());
  const districtTasks = await db.selectFrom('tasks').select('status').where('incidentId', 'in', acked).where('unitId', '=', 'district-230103').execute();
  expect(districtTasks.map((t) => t.status)).toEqual(acked.map(() => 'done'));
  const late = lapses.lateMs;
  const alerts = { length: lapses.alerts };
  process.stdout.write(
    `cluster faults: ${INCIDENTS} incidents accepted (${stats.retries} retried requests), ${acked.length} acknowledged, ` +
      `${alerts.length} lapses alerted once each with worker-1 and nats-2 down; lateness p50 ${late[Math.floor(late.length / 2)]} ms, ` +
      `max ${late.at(-1)} ms; ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}, 600_000);

it('kill the Temporal server and restart it, restart PostgreSQL, both mid-burst: nothing accepted is lost, every lapse alerted once', async () => {
  const stats = { retries: 0 };
  const started = Date.now();
  const n = 16;
  const keys = Array.from({ length: n }, () => `fault-${randomUUID()}`);
  const ids: string[] = [];
  let next = 0;
  // The server comes back 5 s after it was killed (it takes its time to rejoin its own membership);
  // PostgreSQL restarts once it is back. Neither is awaited by the clients: they go on sending and retrying.
  let temporalBack: Promise<unknown> = Promise.resolve();
  let pgRestart: Promise<unknown> = Promise.resolve();
  const faults: Record<number, () => Promise<void>> = {
    4: async () => {
      // Set before the first await: another client may reach request 10 while the kill is still waiting
      // for the server to exit, and PostgreSQL must not restart under a Temporal server that is starting.
      const down = kill('temporal');
      temporalBack = down
        .then(() => sleep(5_000))
        .then(() => cluster('start', 'temporal'))
        .then(() => killed.delete('temporal'));
      await down;
    },
    10: async () => {
      pgRestart = temporalBack.then(() => cluster('restart', 'postgres'));
    },
  };
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        const i = next++;
        await faults[i]?.();
        const res = await send(`${URL.intake}/v1/incidents`, admin, sampleIncident({ title: `故障测试 T${i}` }), keys[i]!, stats);
        expect([200, 202]).toContain(res.status);
        ids.push(((await res.json()) as { id: string }).id);
      }
    }),
  );
  expect(new Set(ids).size).toBe(n);
  await temporalBack;
  await pgRestart;
  const lapses = await expectEachLapseAlertedOnce(ids);
  await expectNothingLost(ids);
  // A lapse alerted more than 5 s late (deadlines that fell due while the server or the database was away) pages.
  if (lapses.lateMs.at(-1)! > 6_000) {
    await eventually(
      async () => {
        const res = (await (await fetch(`${URL.prometheus}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string> }[] } };
        return res.data.alerts.some((a) => a.labels.alertname === 'DeadlineFiredLate');
      },
      30_000,
      'DeadlineFiredLate in Prometheus',
    );
  }
  process.stdout.write(
    `cluster faults (Temporal killed, PostgreSQL restarted): ${n} incidents accepted (${stats.retries} retried requests), ` +
      `${lapses.alerts} lapses alerted once each; lateness p50 ${lapses.lateMs[Math.floor(lapses.lateMs.length / 2)]} ms, max ${lapses.lateMs.at(-1)} ms; ` +
      `${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}, 600_000);
