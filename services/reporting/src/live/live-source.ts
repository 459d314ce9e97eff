import { watchEvents, type Db, type EventWatcher, type IncidentEvent, type Logger, type NatsOptions, cachedUnitNames } from '@yuqing/shared';
import { timelineEntryView } from '../timeline/timeline.view';
import type { LiveFeed, LiveMessage } from './live-feed';

/** The live message of an event: its timeline entry, worded as the timeline words it. */
export function liveMessageOf(event: IncidentEvent, names: ReadonlyMap<string, string>): LiveMessage {
  return { id: event.id, event: 'incident', data: { incidentId: event.incidentId, entry: timelineEntryView(event, names) } };
}

/**
 * Feeds the live stream from NATS. Each reporting process watches the whole
 * stream through an ordered consumer of its own, so whichever instance a viewer
 * is connected to streams every event (the durable `reporting` consumer, which
 * writes the timeline, is shared out among instances and would give each only a
 * part). A message carries the event's entry and task snapshots, so viewers need
 * not wait for the read models to catch up.
 */
export function runLiveSource(options: { db: Db; nats: NatsOptions; log: Logger; feed: LiveFeed }): EventWatcher {
  const names = cachedUnitNames(options.db);
  return watchEvents({
    nats: options.nats,
    log: options.log,
    handler: async (event) => options.feed.publish(liveMessageOf(event, await names())),
    onResume: () => options.feed.resync('live source reconnected'),
  });
}
