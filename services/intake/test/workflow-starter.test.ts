/**
 * The starter's window against the real Temporal dev server and PostgreSQL: with
 * no worker polling, a burst starts only `maxInFlight` workflows and the rest wait
 * in the outbox; once a worker takes them up, the rest start, each exactly once.
 * A start that never shows progress stops holding the window after `staleMs`.
 */
import type { Client } from '@temporalio/client';
import {
  acceptTestIncident,
  connectTestClient,
  createTestDatabase,
  eventually,
  startTestWorker,
  terminateTestWorkflows,
  testLogger,
  testTaskQueue,
  type TestDatabase,
  type TestWorker,
} from '@yuqing/testkit';
import { createWorkflowStarter } from '../src/incidents/workflow-starter';

let t: TestDatabase;
let temporal: Client;
let worker: TestWorker | undefined;
const taskQueue = testTaskQueue();
/** The stuck starts' queue: nothing ever polls it. */
const stuckQueue = testTaskQueue();

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await connectTestClient();
});
afterAll(async () => {
  await worker?.stop();
  await terminateTestWorkflows(temporal, taskQueue);
  await terminateTestWorkflows(temporal, stuckQueue);
  await temporal.connection.close();
  await t.drop();
});

const pending = async () =>
  Number(
    (
      await t.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('kind', '=', 'start_workflow')
        .where('doneAt', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

const runningOnQueue = async (queue = taskQueue) => {
  let n = 0;
  for await (const wf of temporal.workflow.list({ query: `TaskQueue = "${queue}"` })) if (wf.workflowId.startsWith('incident-')) n++;
  return n;
};

it('keeps at most maxInFlight workflows started ahead of their first task; the rest start as those are taken up', async () => {
  const incidents = [];
  for (let i = 0; i < 10; i++) incidents.push(await acceptTestIncident(t.db, { title: `网传某小区自来水发黄 ${i}` }));
  const starter = createWorkflowStarter({ db: t.db, temporal, taskQueue, log: testLogger(), pollMs: 60_000, maxInFlight: 3 });

  // Nobody polls the task queue yet: three start, seven wait, and another pass starts none.
  expect(await starter.drainOnce()).toBe(3);
  expect(await starter.drainOnce()).toBe(0);
  expect(await pending()).toBe(7);
  await eventually(async () => (await runningOnQueue()) === 3, 15_000, 'three workflows visible');

  // A worker takes them up (their rows record the first task), so the window opens again.
  worker = await startTestWorker({ db: t.db, taskQueue });
  await eventually(
    async () => {
      await starter.drainOnce();
      return (await pending()) === 0;
    },
    60_000,
    'every start made',
    500,
  );
  const ids = incidents.map((i) => i.id);
  await eventually(
    async () => (await t.db.selectFrom('incidents').select('id').where('id', 'in', ids).where('stateSeq', '>', 0).execute()).length === 10,
    60_000,
    'every workflow through its first task',
  );
  await eventually(async () => (await runningOnQueue()) === 10, 15_000, 'ten workflows, one each');
});

it('lets starts that never show progress stop holding the window after staleMs, and starts each of the rest once', async () => {
  const before = await pending();
  for (let i = 0; i < 4; i++) await acceptTestIncident(t.db, { title: `网传某校食堂使用过期食材 ${i}` });
  const starter = createWorkflowStarter({ db: t.db, temporal, taskQueue: stuckQueue, log: testLogger(), pollMs: 60_000, maxInFlight: 2, staleMs: 2_000 });

  expect(await starter.drainOnce()).toBe(2);
  expect(await starter.drainOnce()).toBe(0);
  expect(await pending()).toBe(before + 2);
  // No worker ever polls this queue: the two count as stuck once 2 s have passed.
  await new Promise((r) => setTimeout(r, 2_200));
  expect(await starter.drainOnce()).toBe(2);
  expect(await pending()).toBe(before);
  await eventually(async () => (await runningOnQueue(stuckQueue)) === 4, 15_000, 'four workflows, one each');
});
