/**
 * The first incidents after the platform starts, step by step: how long after its
 * POST each was stored, its workflow started, its first workflow task picked up and
 * completed (from the history), its events written and published, and dispatch and
 * reporting done with them. The first incident pays for whatever is still cold.
 *   node bench/experiments/cold-first.js          (waits for every process's /readyz)
 *   NO_WORKER_WAIT=1 node bench/experiments/...   (posts as soon as the services answer)
 * Needs the dev stack's servers (infra/stack.sh deps) and a build.
 */
const { sql } = require('kysely');
const { Client, Connection } = require('@temporalio/client');
const tk = require('@yuqing/testkit');

const N = Number(process.env.N ?? 4);

async function main() {
  tk.loadStackEnv();
  await tk.prepareTemplateDatabase();
  const t = await tk.createTestDatabase();
  const taskQueue = tk.testTaskQueue();
  const started = Date.now();
  const env = { ...tk.testPlatformEnv(t.url, tk.testNatsOptions('cold-first'), taskQueue), OUTBOX_POLL_MS: '500' };
  let platform;
  if (process.env.NO_WORKER_WAIT) {
    // As before the worker answered /readyz: the services ready, the worker perhaps still loading.
    const ports = { intake: await tk.freePort(), dispatch: await tk.freePort(), reporting: await tk.freePort() };
    const full = { ...env, INTAKE_PORT: String(ports.intake), DISPATCH_PORT: String(ports.dispatch), REPORTING_PORT: String(ports.reporting) };
    const procs = Object.fromEntries(['worker', 'intake', 'dispatch', 'reporting'].map((name) => [name, tk.startService(name, full)]));
    const urls = Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, `http://127.0.0.1:${port}`]));
    await Promise.all(Object.entries(urls).map(([name, url]) => tk.waitReady(url, procs[name])));
    platform = { urls, stop: () => Promise.all(Object.values(procs).map((p) => p.stop('SIGTERM'))) };
  } else {
    platform = await tk.startPlatformProcesses(env);
  }
  console.log(`ready ${Date.now() - started} ms after the processes were started`);
  const client = new Client({ connection: await Connection.connect({ address: tk.stackEnv().temporalAddress }), namespace: 'default' });
  try {
    const key = await tk.createTestKey(t.db, { scopes: ['admin'] });
    for (let i = 0; i < N; i++) {
      const sample = tk.sampleIncident();
      const body = tk.sampleIncident({
        title: `网传第${i}家超市销售过期食品 ${tk.uniqueToken()}`,
        source: { ...sample.source, url: `https://weibo.example.com/${tk.uniqueToken()}` },
      });
      const s = Date.now();
      const ms = (d) => (d ? new Date(d).getTime() - s : '–');
      const res = await fetch(`${platform.urls.intake}/v1/incidents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answered = Date.now() - s;
      const { id } = await res.json();
      const published = () =>
        t.db
          .selectFrom('outbox')
          .select(['createdAt', 'doneAt', 'payload'])
          .where('kind', '=', 'event')
          .where(sql`payload->>'incidentId'`, '=', id)
          .orderBy('id')
          .execute();
      await tk.eventually(async () => (await published()).some((e) => e.doneAt), 30_000, `incident ${i}'s events published`);
      await tk.sleep(1_000);
      const incident = await t.db.selectFrom('incidents').select(['createdAt', 'workflowId']).where('id', '=', id).executeTakeFirstOrThrow();
      const start = await t.db.selectFrom('outbox').select(['doneAt']).where('dedupeKey', '=', incident.workflowId).executeTakeFirst();
      const events = await published();
      const applied = await t.db
        .selectFrom('processedEvents')
        .select(['consumer', sql`max(processed_at)`.as('at')])
        .where(
          'eventId',
          'in',
          events.map((e) => e.payload.id),
        )
        .groupBy('consumer')
        .execute();
      const history = (await client.workflow.getHandle(incident.workflowId).fetchHistory()).events ?? [];
      const at = (type) => {
        const e = history.find((h) => h.eventType === type);
        return e ? ms(Number(e.eventTime.seconds) * 1000 + Math.round(e.eventTime.nanos / 1e6)) : '–';
      };
      console.log(
        [
          `#${i}: ${res.status} answered ${answered} ms`,
          `stored ${ms(incident.createdAt)}`,
          `workflow started ${ms(start?.doneAt)}`,
          `first task picked up ${at(6)}, completed ${at(7)}`,
          `events written ${ms(events[0]?.createdAt)}, published ${ms(events[0]?.doneAt)}`,
          ...applied.map((a) => `${a.consumer} ${ms(a.at)}`),
        ].join('; '),
      );
    }
  } finally {
    await client.connection.close();
    await platform.stop('SIGTERM');
    await t.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
