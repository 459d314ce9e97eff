import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../db/database';
import type { Database } from '../db/tables';
import type { IncidentEvent } from '../events/envelope';
import { connectEventBus, consumeEvents, ensureDurableConsumer, ensureIncidentStream, type EventBus, type NatsOptions } from './nats';

/**
 * Applies an event at most once per consumer: the event id is recorded in
 * `processed_events` in the same transaction as the changes, so a redelivery
 * (after a crash before the ack) changes nothing.
 */
export async function applyOnce(
  db: Db,
  consumer: string,
  event: IncidentEvent,
  apply: (trx: Transaction<Database>) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('processedEvents')
      .values({ consumer, eventId: event.id })
      .onConflict((oc) => oc.columns(['consumer', 'eventId']).doNothing())
      .returning('eventId')
      .executeTakeFirst();
    if (!inserted) return false;
    await apply(trx);
    return true;
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
export function runConsumer(options: {
  nats: NatsOptions;
  durable: string;
  log: Logger;
  handler: (event: IncidentEvent) => Promise<void>;
}): ConsumerRunner {
  const abort = new AbortController();
  let bus: EventBus | undefined;
  const done = (async () => {
    while (!abort.signal.aborted) {
      try {
        bus = await connectEventBus(options.nats);
        await ensureIncidentStream(bus);
        await ensureDurableConsumer(bus, options.durable);
        options.log.info({ durable: options.durable }, 'consuming incident events');
        await consumeEvents({ bus, durable: options.durable, handler: (e) => options.handler(e), log: options.log, signal: abort.signal });
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
