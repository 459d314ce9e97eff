// The live stream (/v1/stream, Server-Sent Events) read with fetch(), so it carries
// the same credentials as every other call (EventSource cannot send a header).
// Views subscribe to its messages; `liveState` says whether it is connected.
import { ref } from 'vue';
import { auth } from './auth';

export interface TaskSnapshot {
  readonly key: string;
  readonly kind: string;
  readonly owner: string;
  readonly unitId?: string | null;
  readonly status: string;
  readonly openedAt?: string | null;
  readonly dueAt?: string | null;
  readonly doneAt?: string | null;
  readonly overdue: boolean;
  readonly seq: number;
}

export interface TimelineEntry {
  readonly eventId: string;
  readonly incidentId: string;
  readonly type: string;
  readonly label: string;
  readonly text: string;
  readonly tier: string;
  readonly occurredAt: string;
  readonly occurredAtLocal: string;
  readonly data?: { readonly tasks?: readonly TaskSnapshot[]; readonly to?: string; readonly [k: string]: unknown };
}

export type LiveMessage =
  | { readonly event: 'ready'; readonly data: { readonly at: string; readonly live: boolean } }
  | { readonly event: 'resync'; readonly data: { readonly reason: string } }
  | { readonly event: 'incident'; readonly id?: string; readonly data: { readonly incidentId: string; readonly entry: TimelineEntry } };

/** 'off' (connecting), 'on', 'denied' (the credentials were refused). */
export const liveState = ref<'off' | 'on' | 'denied'>('off');

const listeners = new Set<(m: LiveMessage) => void>();

/** Calls `fn` with each message until the returned function is called. */
export function onLive(fn: (m: LiveMessage) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function parseBlock(block: string): LiveMessage | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  return { event, ...(id ? { id } : {}), data: JSON.parse(data.join('\n')) } as LiveMessage;
}

let stop: AbortController | undefined;

/** Keeps reading the stream, reconnecting with a growing pause, until `stopLive()`. */
export function startLive(): void {
  stopLive();
  const abort = new AbortController();
  stop = abort;
  void (async () => {
    let pause = 1000;
    while (!abort.signal.aborted) {
      try {
        const res = await fetch('/v1/stream', {
          headers: { ...auth.headers(), accept: 'text/event-stream' },
          credentials: auth.credentials,
          cache: 'no-store',
          signal: abort.signal,
        });
        if (res.status === 401 || res.status === 403) {
          liveState.value = 'denied';
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const message = parseBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (!message) continue;
            if (message.event === 'ready') {
              pause = 1000;
              liveState.value = 'on';
            }
            for (const fn of listeners) fn(message);
          }
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      liveState.value = 'off';
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 15000);
    }
  })();
}

export function stopLive(): void {
  stop?.abort();
  stop = undefined;
  liveState.value = 'off';
}
