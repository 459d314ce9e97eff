/** One key's requests: those running, and the wake-ups of those waiting, oldest first. */
interface KeyState {
  running: number;
  readonly waiting: (() => void)[];
}

/** A place among a key's requests: `ready` settles when it may run; `release` ends it (safe to call more than once). */
export interface Slot {
  readonly ready: Promise<void>;
  readonly release: () => void;
}

/** What others may read of the limit: a key's requests running and waiting now. */
export interface InFlightLoad {
  load(key: string): { running: number; waiting: number };
}

/**
 * At most `max` requests of one key running at once and `queue` more waiting,
 * in arrival order. A rate limit counts requests per minute but not how many
 * arrive together: a burst well within one key's minute could take every
 * database connection, and every other key would wait behind it.
 */
export class InFlightLimit implements InFlightLoad {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    readonly max: number,
    readonly queue: number,
  ) {}

  /**
   * A slot for one request of `key`, or undefined when `max` run and `queue` wait.
   * A slot released while still waiting leaves the queue and its `ready` rejects
   * with `abandoned()`, so the request stops there.
   */
  enter(key: string, abandoned: () => Error): Slot | undefined {
    let state = this.keys.get(key);
    if (!state) {
      state = { running: 0, waiting: [] };
      this.keys.set(key, state);
    }
    const k = state;
    if (k.running < this.max) {
      k.running++;
      let done = false;
      return {
        ready: Promise.resolve(),
        release: () => {
          if (done) return;
          done = true;
          this.leave(key, k);
        },
      };
    }
    if (k.waiting.length >= this.queue) return undefined;
    let phase: 'waiting' | 'running' | 'done' = 'waiting';
    let wake!: () => void;
    let abandon!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      wake = () => {
        phase = 'running';
        resolve();
      };
      abandon = reject;
    });
    k.waiting.push(wake);
    return {
      ready,
      release: () => {
        if (phase === 'running') this.leave(key, k);
        else if (phase === 'waiting') {
          k.waiting.splice(k.waiting.indexOf(wake), 1);
          abandon(abandoned());
          if (k.running === 0 && k.waiting.length === 0) this.keys.delete(key);
        }
        phase = 'done';
      },
    };
  }

  /** Requests of `key` running and waiting now. */
  load(key: string): { running: number; waiting: number } {
    const k = this.keys.get(key);
    return { running: k?.running ?? 0, waiting: k?.waiting.length ?? 0 };
  }

  private leave(key: string, k: KeyState): void {
    const next = k.waiting.shift();
    // The slot passes straight to the oldest waiting request: `running` stays as it is.
    if (next) next();
    else if (--k.running === 0) this.keys.delete(key);
  }
}
