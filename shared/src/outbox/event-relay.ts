import type { Db } from '../db/database';
import type { IncidentEvent } from '../events/envelope';
import type { Logger } from '../logger/logger';
import { publishEvent, type EventBus } from '../nats/nats';
import { OutboxRelay } from './outbox';

/**
 * Publishes the events written to the outbox (by activities, or by dispatch for
 * its delivery outcomes). JetStream drops a repeat with the same `Nats-Msg-Id`, so
 * a crash between publish and marking done publishes nothing twice as consumers
 * see it. Relays in several processes share the work.
 */
export function createEventRelay(options: { db: Db; bus: () => EventBus | undefined; log: Logger; pollMs: number }): OutboxRelay<IncidentEvent> {
  return new OutboxRelay<IncidentEvent>({
    db: options.db,
    kind: 'event',
    log: options.log,
    pollMs: options.pollMs,
    batchSize: 200,
    handle: async (event) => {
      const bus = options.bus();
      if (!bus) throw new Error('NATS not connected yet');
      await publishEvent(bus, event);
    },
  });
}
