import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { OutboxTable } from '../db/tables';
import type { EventBus } from '../nats/nats';

/**
 * Prometheus metrics: every name the processes export is declared here, once
 * (README, Operating it; infra/prometheus/ alerts on them). Each process builds
 * one registry (`createMetricsRegistry`) and adds what it runs: HTTP routes
 * (http-kit), the outbox, its durable consumers, deadlines, deliveries. Nothing
 * here carries a key, an address or a person: labels are codes and route templates.
 */
export const METRIC_NAMES = {
  httpRequests: 'yuqing_http_requests_total',
  httpDuration: 'yuqing_http_request_duration_seconds',
  outboxBacklog: 'yuqing_outbox_backlog',
  outboxOldestAge: 'yuqing_outbox_oldest_age_seconds',
  consumerLag: 'yuqing_consumer_lag_messages',
  consumerAckPending: 'yuqing_consumer_ack_pending_messages',
  deadlineLateness: 'yuqing_deadline_lateness_seconds',
  deadlinesDueUnalerted: 'yuqing_deadlines_due_unalerted',
  deliveries: 'yuqing_deliveries_total',
  deadLetters: 'yuqing_dead_letters',
  sourceUp: 'yuqing_metrics_source_up',
} as const;

export type ProcessName = 'intake' | 'dispatch' | 'reporting' | 'worker';

/**
 * A registry with `service` on every series and, for a process's own registry, the
 * default metrics of Node (CPU, memory, event loop lag); an app built without one
 * (tests run three in one process) makes one without them.
 */
export function createMetricsRegistry(service: ProcessName, options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The metric of that name in the registry, created on first use (two parts of a process may ask for the same one). */
function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * How late deadline alerts are: the time the alert was stored (what a person sees)
 * minus the task's due time. The buckets hold the 1 s / 2 s targets of BENCHMARKS.md
 * and the 5 s alert threshold exactly.
 */
export function deadlineLatenessHistogram(registry: Registry): Histogram {
  return once(
    registry,
    METRIC_NAMES.deadlineLateness,
    () =>
      new Histogram({
        name: METRIC_NAMES.deadlineLateness,
        help: 'Deadline alerts: time stored minus the task due time, in seconds',
        buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
        registers: [registry],
      }),
  );
}

export type DeliveryOutcome = 'sent' | 'failed' | 'dead';

/** Delivery attempts by outcome and channel kind (`failed`: will retry; `dead`: gave up, waits for an operator). */
export function deliveriesCounter(registry: Registry): Counter<'outcome' | 'channel'> {
  return once(
    registry,
    METRIC_NAMES.deliveries,
    () =>
      new Counter({
        name: METRIC_NAMES.deliveries,
        help: 'Notification delivery attempts by outcome (sent, failed and will retry, dead letter) and channel kind',
        labelNames: ['outcome', 'channel'] as const,
        registers: [registry],
      }),
  );
}

/**
 * Runs a read at most once per `maxAgeMs` however often /metrics is asked (it
 * needs no key: a scraper storm must not become a database storm).
 */
function throttled<T>(read: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= maxAgeMs) {
      last = { at: now, value: read() };
      // A failed read is not kept: the next scrape tries again.
      last.value.catch(() => (last = undefined));
    }
    return last.value;
  };
}

function sourceUpGauge(registry: Registry): Gauge<'source'> {
  return once(
    registry,
    METRIC_NAMES.sourceUp,
    () =>
      new Gauge({
        name: METRIC_NAMES.sourceUp,
        help: 'Whether the last read behind a group of yuqing metrics succeeded (1) or not (0); its series are absent while 0',
        labelNames: ['source'] as const,
        registers: [registry],
      }),
  );
}

/**
 * Gauges read from somewhere at scrape time: all set from one (throttled) read, or
 * on failure dropped and their source marked down. prom-client asks each gauge at
 * once; each applies the same read synchronously, so a scrape never sees half of it.
 */
function scrapedGauges<K extends string>(
  registry: Registry,
  source: string,
  gauges: Gauge<K>[],
  read: () => Promise<(set: (gauge: Gauge<K>, labels: Partial<Record<K, string>>, value: number) => void) => void>,
  maxAgeMs: number,
): void {
  const up = sourceUpGauge(registry);
  const cached = throttled(read, maxAgeMs);
  const collect = async (): Promise<void> => {
    const apply = await cached().catch(() => undefined);
    for (const g of gauges) g.reset();
    if (apply) apply((gauge, labels, value) => gauge.set(labels, value));
    up.set({ source }, apply ? 1 : 0);
  };
  for (const g of gauges) Object.assign(g, { collect });
}

const SCRAPE_READ_MAX_AGE_MS = 5_000;

/**
 * The outbox's backlog and the age of its oldest waiting row, per kind of work
 * (a process reports the kinds it relays). Old rows mean a relay is stuck or a
 * dependency (Temporal, NATS) is away.
 */
export function registerOutboxMetrics(registry: Registry, db: Db, kinds: readonly OutboxTable['kind'][], maxAgeMs = SCRAPE_READ_MAX_AGE_MS): void {
  const backlog = new Gauge({
    name: METRIC_NAMES.outboxBacklog,
    help: 'Outbox rows not done yet, by kind of work',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const oldest = new Gauge({
    name: METRIC_NAMES.outboxOldestAge,
    help: 'Age in seconds of the oldest outbox row not done yet, by kind (0 when none waits)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  scrapedGauges(
    registry,
    'outbox',
    [backlog, oldest],
    async () => {
      const rows = await db
        .selectFrom('outbox')
        .select(['kind', sql<string>`count(*)`.as('n'), sql<number | null>`extract(epoch from now() - min(created_at))::float8`.as('age')])
        .where('doneAt', 'is', null)
        .where('kind', 'in', [...kinds])
        .groupBy('kind')
        .execute();
      return (set) => {
        for (const kind of kinds) {
          const row = rows.find((r) => r.kind === kind);
          set(backlog, { kind }, row ? Number(row.n) : 0);
          set(oldest, { kind }, row?.age ?? 0);
        }
      };
    },
    maxAgeMs,
  );
}

/**
 * Each durable JetStream consumer's lag: messages of the stream it has not been
 * given yet plus those given but not acknowledged. Read from the server (the same
 * number in every instance sharing the durable).
 */
export function registerConsumerMetrics(
  registry: Registry,
  consumers: readonly { durable: string; bus: () => EventBus | undefined }[],
  maxAgeMs = SCRAPE_READ_MAX_AGE_MS,
): void {
  const lag = new Gauge({
    name: METRIC_NAMES.consumerLag,
    help: 'Messages of the stream a durable consumer has not acknowledged yet (pending + ack pending)',
    labelNames: ['consumer'] as const,
    registers: [registry],
  });
  const ackPending = new Gauge({
    name: METRIC_NAMES.consumerAckPending,
    help: 'Messages delivered to a durable consumer and not acknowledged yet',
    labelNames: ['consumer'] as const,
    registers: [registry],
  });
  scrapedGauges(
    registry,
    'nats',
    [lag, ackPending],
    async () => {
      const infos = await Promise.all(
        consumers.map(async ({ durable, bus }) => {
          const b = bus();
          if (!b) throw new Error('NATS not connected');
          return { durable, info: await b.jsm.consumers.info(b.stream, durable) };
        }),
      );
      return (set) => {
        for (const { durable, info } of infos) {
          set(lag, { consumer: durable }, info.num_pending + info.num_ack_pending);
          set(ackPending, { consumer: durable }, info.num_ack_pending);
        }
      };
    },
    maxAgeMs,
  );
}

/** How long after its due time a deadline counts as due but not alerted (timers wake within a second or two). */
const DUE_GRACE_SECONDS = 5;
/** Open tasks older than this are left out: their workflow may have been terminated by hand. */
const DUE_WINDOW_HOURS = 24;

/**
 * Deadlines that are due (by more than a grace) but have no lapse alert yet: with
 * no workflow task completing, the engine is stuck (alert rule TimersDueEngineStuck).
 */
export function registerDeadlineMetrics(registry: Registry, db: Db, maxAgeMs = SCRAPE_READ_MAX_AGE_MS): void {
  const due = new Gauge({
    name: METRIC_NAMES.deadlinesDueUnalerted,
    help: `Open tasks due more than ${DUE_GRACE_SECONDS} s ago (within ${DUE_WINDOW_HOURS} h) with no deadline alert raised yet`,
    registers: [registry],
  });
  scrapedGauges(
    registry,
    'deadlines',
    [due],
    async () => {
      const row = await db
        .selectFrom('tasks as t')
        .select(sql<string>`count(*)`.as('n'))
        .where('t.status', '=', 'open')
        .where(sql<boolean>`t.due_at < now() - ${`${DUE_GRACE_SECONDS} seconds`}::interval`)
        .where(sql<boolean>`t.due_at > now() - ${`${DUE_WINDOW_HOURS} hours`}::interval`)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('alerts as a')
                .select(sql`1`.as('one'))
                .whereRef('a.incidentId', '=', 't.incidentId')
                .whereRef('a.taskKey', '=', 't.key')
                .whereRef('a.dueAt', '=', 't.dueAt')
                .where('a.kind', '=', 'deadline_lapsed'),
            ),
          ),
        )
        .executeTakeFirstOrThrow();
      return (set) => set(due, {}, Number(row.n));
    },
    maxAgeMs,
  );
}

/** Dead letters: deliveries that gave up and wait for an operator's retry. */
export function registerDeliveryMetrics(registry: Registry, db: Db, maxAgeMs = SCRAPE_READ_MAX_AGE_MS): void {
  deliveriesCounter(registry);
  const dead = new Gauge({
    name: METRIC_NAMES.deadLetters,
    help: 'Deliveries that gave up (dead letters) and wait for an operator to retry them',
    registers: [registry],
  });
  scrapedGauges(
    registry,
    'deliveries',
    [dead],
    async () => {
      const row = await db
        .selectFrom('deliveries')
        .select(sql<string>`count(*)`.as('n'))
        .where('status', '=', 'dead')
        .executeTakeFirstOrThrow();
      return (set) => set(dead, {}, Number(row.n));
    },
    maxAgeMs,
  );
}

export type { Registry } from 'prom-client';
