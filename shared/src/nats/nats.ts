import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type PubAck,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { parseIncidentEvent, type IncidentEvent } from '../events/envelope';
import { eventSubject, incidentSubjects } from '../events/event-types';

const NANOS_PER_MS = 1_000_000;

export interface NatsOptions {
  readonly url: string;
  /** Connection name shown by the server (`nats-server` monitoring). */
  readonly name: string;
  readonly stream: string;
  readonly subjectPrefix: string;
}

/** One NATS connection per process, with its JetStream client and the stream's names. */
export interface EventBus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subjectPrefix: string;
  close(): Promise<void>;
}

/**
 * `NATS_URL` as the client takes it: one or several servers, comma-separated (the
 * nodes of a cluster), each `nats://[user:password@]host:port`. The credentials
 * (the same on every server, a service's own user) are taken out of the URLs and
 * passed on their own, so that no URL the client logs or reports carries them.
 */
export function natsConnectOptions(url: string): { servers: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((server) => {
      const m = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(server);
      if (!m) return server;
      const at = m[2]!.indexOf(':');
      const [name, password] = at < 0 ? [m[2]!, ''] : [m[2]!.slice(0, at), m[2]!.slice(at + 1)];
      user ??= decodeURIComponent(name ?? '');
      pass ??= decodeURIComponent(password ?? '');
      return `${m[1]!}${m[3]!}`;
    });
  return { servers, ...(user ? { user } : {}), ...(pass ? { pass } : {}) };
}

/**
 * Connects and keeps reconnecting forever: a NATS outage delays events (the outbox
 * holds them) but never takes a service down.
 */
export async function connectEventBus(options: NatsOptions): Promise<EventBus> {
  const nc = await connect({
    ...natsConnectOptions(options.url),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  return {
    nc,
    js: jetstream(nc, { timeout: 5_000 }),
    jsm,
    stream: options.stream,
    subjectPrefix: options.subjectPrefix,
    close: () => nc.drain(),
  };
}

/** The `INCIDENTS` stream's settings (replicas aside: the operator's, see infra/cluster/nats-setup.mjs). */
export function incidentStreamConfig(stream: string, subjectPrefix: string) {
  return {
    name: stream,
    subjects: [incidentSubjects(subjectPrefix)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: 90 * 24 * 3_600_000 * NANOS_PER_MS,
    // Publishes repeated within this window with the same Nats-Msg-Id are dropped.
    duplicate_window: 30 * 60_000 * NANOS_PER_MS,
  };
}

/**
 * Creates the `INCIDENTS` stream over `incident.>` or brings its config up to date.
 * A stream already as it should be is left alone, so a process whose NATS user may
 * only read the stream's info (the cluster profile's) starts without asking more;
 * its replicas are the operator's (created with them, kept by updates).
 */
export async function ensureIncidentStream(bus: EventBus): Promise<void> {
  const config = incidentStreamConfig(bus.stream, bus.subjectPrefix);
  try {
    const current = (await bus.jsm.streams.info(bus.stream)).config;
    const same =
      current.subjects.length === 1 &&
      current.subjects[0] === config.subjects[0] &&
      current.retention === config.retention &&
      current.storage === config.storage &&
      current.max_age === config.max_age &&
      current.duplicate_window === config.duplicate_window;
    if (!same) await bus.jsm.streams.update(bus.stream, config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.status !== 404) throw err;
    await bus.jsm.streams.add(config);
  }
}

/**
 * Creates a durable pull consumer if missing. nats-server 2.9 knows only the
 * singular `filter_subject`.
 */
export async function ensureDurableConsumer(bus: EventBus, durable: string, filterSubject = incidentSubjects(bus.subjectPrefix)): Promise<void> {
  try {
    await bus.jsm.consumers.info(bus.stream, durable);
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.status !== 404) throw err;
    await bus.jsm.consumers.add(bus.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filterSubject,
      ack_wait: 30_000 * NANOS_PER_MS,
      max_deliver: -1,
      max_ack_pending: 1_000,
    });
  }
}

/** Publishes one event on `incident.<type>` with `Nats-Msg-Id` = the event id. */
export async function publishEvent(bus: EventBus, event: IncidentEvent): Promise<PubAck> {
  return bus.js.publish(eventSubject(event.type, bus.subjectPrefix), JSON.stringify(event), {
    msgID: event.id,
    timeout: 5_000,
  });
}

/**
 * Handles events in stream order, usually in one transaction; throwing fails them
 * all, and each is then retried on its own.
 */
export type EventHandler = (events: readonly IncidentEvent[]) => Promise<void>;

/** Most events handled together: one transaction and one commit for a burst instead of one per event. */
const MAX_BATCH = 100;

/**
 * Consumes a durable consumer until `signal` aborts: each message is validated
 * with the shared envelope schema, handled, then acked. Messages already waiting
 * are handled together; a batch that fails is split so one bad event cannot hold
 * back the others. A handler failure is redelivered later; an invalid message is
 * logged and terminated, never retried. Returns when the loop has stopped.
 */
export async function consumeEvents(options: { bus: EventBus; durable: string; handler: EventHandler; log: Logger; signal: AbortSignal }): Promise<void> {
  const { bus, durable, handler, log, signal } = options;
  while (!signal.aborted) {
    try {
      const consumer = await bus.js.consumers.get(bus.stream, durable);
      const messages = await consumer.consume({ max_messages: 200, idle_heartbeat: 5_000, expires: 30_000 });
      const stop = () => void messages.close();
      signal.addEventListener('abort', stop, { once: true });
      try {
        await drainInBatches(messages, (batch) => handleBatch(batch, handler, log), signal);
      } finally {
        signal.removeEventListener('abort', stop);
      }
    } catch (err) {
      if (signal.aborted) break;
      log.warn({ err, durable }, 'consumer interrupted; retrying');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/**
 * Handles each message as soon as it arrives, and those that arrived meanwhile
 * together. (The iterator's own pending count also counts its internal callbacks,
 * so it cannot tell whether a message is waiting.)
 */
async function drainInBatches(messages: AsyncIterable<JsMsg>, handle: (batch: JsMsg[]) => Promise<void>, signal: AbortSignal): Promise<void> {
  const queue: JsMsg[] = [];
  let arrived: (() => void) | undefined;
  let ended = false;
  let failure: unknown;
  const pump = (async () => {
    try {
      for await (const msg of messages) {
        queue.push(msg);
        arrived?.();
      }
    } catch (err) {
      failure = err;
    } finally {
      ended = true;
      arrived?.();
    }
  })();
  while (!signal.aborted) {
    if (queue.length === 0) {
      if (ended) break;
      await new Promise<void>((resolve) => (arrived = resolve));
      arrived = undefined;
      // One turn of the event loop: what came in the same read joins the batch.
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    await handle(queue.splice(0, MAX_BATCH));
  }
  await pump;
  if (failure && !signal.aborted) throw failure instanceof Error ? failure : new Error('event consumer failed', { cause: failure });
}

async function handleBatch(msgs: JsMsg[], handler: EventHandler, log: Logger): Promise<void> {
  const valid: { msg: JsMsg; event: IncidentEvent }[] = [];
  for (const msg of msgs) {
    try {
      valid.push({ msg, event: parseIncidentEvent(msg.json()) });
    } catch (err) {
      log.error({ err, subject: msg.subject, seq: msg.seq }, 'invalid event terminated');
      // No reason string: nats-server 2.9 ignores "+TERM <reason>" and would redeliver.
      msg.term();
    }
  }
  if (valid.length === 0) return;
  if (valid.length > 1) {
    try {
      await handler(valid.map((v) => v.event));
      for (const { msg } of valid) msg.ack();
      return;
    } catch {
      // Find the one that fails: each on its own below.
    }
  }
  for (const { msg, event } of valid) {
    try {
      await handler([event]);
      msg.ack();
    } catch (err) {
      log.warn({ err, eventId: event.id, type: event.type, redeliveries: msg.info.deliveryCount }, 'event handling failed; will retry');
      msg.nak(Math.min(30_000, 500 * 2 ** Math.min(msg.info.deliveryCount, 6)));
    }
  }
}
