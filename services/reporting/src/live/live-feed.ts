import type { TimelineEntryView } from '../timeline/timeline.view';

/** What the console receives for each event: the incident and its new timeline entry. */
export interface LiveIncidentMessage {
  readonly incidentId: string;
  readonly entry: TimelineEntryView;
}

/** One Server-Sent Event: `incident` for an event, `resync` when a viewer must reload. */
export type LiveMessage =
  | { readonly id: string; readonly event: 'incident'; readonly data: LiveIncidentMessage }
  | { readonly event: 'resync'; readonly data: { readonly reason: string } };

export interface LiveSubscription {
  /** Ends the subscription (the viewer left). */
  close(): void;
}

/** A viewer that falls this far behind gets one `resync` instead of the backlog. */
const MAX_QUEUED = 500;

/** Whether a viewer gets an incident's message (the access policy's `followedIncidents`). */
export type LiveFilter = (message: LiveIncidentMessage) => Promise<boolean>;

interface Subscriber {
  readonly deliver: (message: LiveMessage) => Promise<void>;
  readonly accepts: LiveFilter | undefined;
  readonly end: () => void;
  queue: LiveMessage[];
  pumping: boolean;
}

/**
 * Fans each live message out to the viewers connected to this process. Each
 * viewer has its own queue, delivered in order; a slow viewer cannot hold up
 * the others, and one that lags too far is told to reload instead.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private ended = false;

  get viewers(): number {
    return this.subscribers.size;
  }

  /** Set by `closeAll`: the process is stopping and takes no new viewer. */
  get closed(): boolean {
    return this.ended;
  }

  /**
   * `deliver` writes one message to the viewer; `end` closes its connection (on
   * shutdown); `accepts`, if given, picks the incidents the viewer may follow.
   */
  subscribe(deliver: (message: LiveMessage) => Promise<void>, end: () => void, accepts?: LiveFilter): LiveSubscription {
    const sub: Subscriber = { deliver, accepts, end, queue: [], pumping: false };
    this.subscribers.add(sub);
    return { close: () => void this.subscribers.delete(sub) };
  }

  publish(message: LiveMessage): void {
    for (const sub of this.subscribers) {
      if (sub.queue.length >= MAX_QUEUED) sub.queue = [{ event: 'resync', data: { reason: 'viewer fell behind' } }];
      else sub.queue.push(message);
      void this.pump(sub);
    }
  }

  /** Tells every viewer to reload: events may have been missed. */
  resync(reason: string): void {
    this.publish({ event: 'resync', data: { reason } });
  }

  /** Ends every viewer's connection (before the server closes, which waits for them). */
  closeAll(): void {
    this.ended = true;
    for (const sub of this.subscribers) sub.end();
    this.subscribers.clear();
  }

  /** The message as this viewer gets it: itself, nothing (not theirs), or a `resync` when access cannot be decided now. */
  private async screen(sub: Subscriber, message: LiveMessage): Promise<LiveMessage | undefined> {
    if (message.event !== 'incident' || !sub.accepts) return message;
    try {
      return (await sub.accepts(message.data)) ? message : undefined;
    } catch {
      return { event: 'resync', data: { reason: 'access could not be checked' } };
    }
  }

  private async pump(sub: Subscriber): Promise<void> {
    if (sub.pumping) return;
    sub.pumping = true;
    try {
      for (let next = sub.queue.shift(); next; next = sub.queue.shift()) {
        if (!this.subscribers.has(sub)) return;
        const message = await this.screen(sub, next);
        if (message) await sub.deliver(message);
      }
    } catch {
      // The connection is gone; its close handler unsubscribes it.
      this.subscribers.delete(sub);
    } finally {
      sub.pumping = false;
    }
  }
}
