import { OutboxRelay, publishEvent, type Db, type EventBus, type IncidentEvent, type Logger } from '@yuqing/shared';

/**
 * Publishes the events activities wrote to the outbox. JetStream drops a repeat
 * with the same `Nats-Msg-Id`, so a crash between publish and marking done
 * publishes nothing twice as consumers see it.
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
