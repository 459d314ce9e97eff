import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../db/database';
import type { Database } from '../db/tables';
import type { IncidentEvent } from '../events/envelope';
import { connectEventBus, consumeEvents, ensureDurableConsumer, ensureIncidentStream, type EventBus, type EventHandler, type NatsOptions } from './nats';

/**
 * Applies events at most once per consumer, all in one transaction: each event id
 * is recorded in `processed_events` with the changes, so a redelivery (after a
 * crash before the ack) changes nothing. `apply` is given the new ones together, in
 * order, so a projection can write them in one statement. Returns how many were new.
 */
export async function applyEventsOnce(
  db: Db,
  consumer: string,
  events: readonly IncidentEvent[],
  apply: (trx: Transaction<Database>, fresh: readonly IncidentEvent[]) => Promise<void>,
): Promise<number> {
  if (events.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('processedEvents')
      .values(events.map((e) => ({ consumer, eventId: e.id })))
      .onConflict((oc) => oc.columns(['consumer', 'eventId']).doNothing())
      .returning('eventId')
      .execute();
    const ids = new Set(inserted.map((r) => r.eventId));
    // delete: the same event twice in one batch (a redelivery) applies once.
    const fresh = events.filter((e) => ids.delete(e.id));
    if (fresh.length > 0) await apply(trx, fresh);
    return fresh.length;
  });
}

export interface ConsumerRunner {
  /** The bus once connected (for readiness checks and publishing). */
  readonly bus: () => EventBus | undefined;
  stop(): Promise<void>;
}

/**
 * Connects (retrying until NATS answers), makes sure the stream and the durable
 * consumer exist, and consumes until stopped. A service keeps serving HTTP while
 * this waits for NATS.
 */
export function runConsumer(options: { nats: NatsOptions; durable: string; log: Logger; handler: EventHandler }): ConsumerRunner {
  const abort = new AbortController();
  let bus: EventBus | undefined;
  const done = (async () => {
    while (!abort.signal.aborted) {
      try {
        bus = await connectEventBus(options.nats);
        await ensureIncidentStream(bus);
        await ensureDurableConsumer(bus, options.durable);
        options.log.info({ durable: options.durable }, 'consuming incident events');
        await consumeEvents({ bus, durable: options.durable, handler: options.handler, log: options.log, signal: abort.signal });
        return;
      } catch (err) {
        if (abort.signal.aborted) return;
        options.log.warn({ err }, 'NATS not ready; retrying');
        await bus?.close().catch(() => undefined);
        bus = undefined;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();
  return {
    bus: () => bus,
    async stop() {
      abort.abort();
      await done;
      await bus?.close().catch(() => undefined);
    },
  };
}
