// The reporting API as the console uses it: the operator's key, JSON calls, and
// the live stream read with fetch() (EventSource cannot send the Authorization header).

const KEY_ITEM = 'yuqing.console.apiKey';

export const session = {
  /** The key lives in sessionStorage: gone when the tab is closed. */
  get key() {
    return sessionStorage.getItem(KEY_ITEM);
  },
  set key(value) {
    if (value) sessionStorage.setItem(KEY_ITEM, value);
    else sessionStorage.removeItem(KEY_ITEM);
  },
};

/** An answer that is not 2xx, with the problem+json body when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function request(path, accept) {
  const headers = { accept };
  if (session.key) headers.authorization = `Bearer ${session.key}`;
  const res = await fetch(path, { headers, cache: 'no-store' });
  if (!res.ok) {
    const problem = /json/.test(res.headers.get('content-type') ?? '') ? await res.json().catch(() => undefined) : undefined;
    throw new ApiError(res.status, problem);
  }
  return res;
}

export const api = {
  json: async (path) => (await request(path, 'application/json')).json(),
  text: async (path) => (await request(path, 'text/html')).text(),
};

/** Parses one Server-Sent Events block (`id:`, `event:`, `data:` lines; comments ignored). */
function parseBlock(block) {
  const message = { event: 'message', data: '' };
  const data = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') message.event = value;
    else if (field === 'id') message.id = value;
  }
  if (data.length === 0) return undefined;
  message.data = JSON.parse(data.join('\n'));
  return message;
}

/**
 * Keeps reading `/v1/stream`, reconnecting with a growing pause. `onMessage`
 * gets each event; `onState` gets 'on', 'off' or 'denied' (the key is refused).
 * Returns a function that stops it.
 */
export function followStream({ onMessage, onState }) {
  const abort = new AbortController();
  (async () => {
    let pause = 1000;
    while (!abort.signal.aborted) {
      try {
        const res = await fetch('/v1/stream', {
          headers: { authorization: `Bearer ${session.key}`, accept: 'text/event-stream' },
          cache: 'no-store',
          signal: abort.signal,
        });
        if (res.status === 401 || res.status === 403) {
          onState('denied');
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const message = parseBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (!message) continue;
            if (message.event === 'ready') {
              pause = 1000;
              onState('on');
            }
            onMessage(message);
          }
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      onState('off');
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 15000);
    }
  })();
  return () => abort.abort();
}
