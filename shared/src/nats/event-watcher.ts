import { DeliverPolicy } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { parseIncidentEvent, type IncidentEvent } from '../events/envelope';
import { incidentSubjects } from '../events/event-types';
import { connectEventBus, ensureIncidentStream, type EventBus, type NatsOptions } from './nats';

export interface EventWatcher {
  /** True while the watcher is reading the stream. */
  readonly watching: () => boolean;
  /** Resolves once the first consumer reads the stream (events published after this are seen). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Follows the incident stream from now on through an ordered consumer of its
 * own: ephemeral, in memory, nothing to acknowledge. Unlike a durable consumer,
 * whose events are shared out among the processes that read it, every watching
 * process sees every event — what a live view needs. Nothing is replayed: after
 * an interruption `onResume` is called so that viewers can reload what they show.
 */
export function watchEvents(options: {
  nats: NatsOptions;
  log: Logger;
  handler: (event: IncidentEvent) => void | Promise<void>;
  /** Called when reading resumes after an interruption (events may have been missed). */
  onResume?: () => void;
}): EventWatcher {
  const abort = new AbortController();
  let bus: EventBus | undefined;
  let watching = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const done = (async () => {
    let interrupted = false;
    while (!abort.signal.aborted) {
      try {
        bus ??= await connectEventBus(options.nats);
        await ensureIncidentStream(bus);
        const consumer = await bus.js.consumers.get(bus.stream, {
          filter_subjects: incidentSubjects(bus.subjectPrefix),
          deliver_policy: DeliverPolicy.New,
        });
        const messages = await consumer.consume({ max_messages: 100 });
        const stop = () => void messages.close();
        abort.signal.addEventListener('abort', stop, { once: true });
        watching = true;
        markReady();
        if (interrupted) options.onResume?.();
        try {
          for await (const msg of messages) {
            let event: IncidentEvent;
            try {
              event = parseIncidentEvent(msg.json());
            } catch (err) {
              options.log.warn({ err, subject: msg.subject }, 'invalid event skipped by the watcher');
              continue;
            }
            try {
              await options.handler(event);
            } catch (err) {
              options.log.warn({ err, eventId: event.id }, 'live event handler failed');
            }
          }
        } finally {
          watching = false;
          abort.signal.removeEventListener('abort', stop);
        }
        if (!abort.signal.aborted) throw new Error('the ordered consumer ended');
      } catch (err) {
        watching = false;
        if (abort.signal.aborted) break;
        interrupted = true;
        options.log.warn({ err }, 'event watcher interrupted; retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();

  return {
    watching: () => watching,
    ready,
    async stop() {
      abort.abort();
      await done;
      await bus?.close().catch(() => undefined);
    },
  };
}
