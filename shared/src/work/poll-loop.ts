/**
 * Runs a pass of background work now and again: every `pollMs`, at once when
 * woken (after a commit in this process), or after a delay (a retry that falls
 * due); never two passes at once, and a wake during a pass runs another right
 * after it. The outbox relays and the delivery worker each run on one.
 *
 * With `idleMaxMs`, a loop whose work is woken in its own process polls less
 * while there is none: each pass that found nothing (answered 0) doubles the wait,
 * up to `idleMaxMs`; a wake, or a pass that did something, brings it back to
 * `pollMs`. The poll is then only the net for work another process left (a crash
 * between commit and relay), which waits that much longer.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private readonly delayed = new Set<NodeJS.Timeout>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The wait after the next pass that finds nothing. */
  private idleMs: number;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly options: { readonly pollMs: number; readonly idleMaxMs?: number; readonly onError: (err: unknown) => void },
  ) {
    this.idleMs = options.pollMs;
  }

  start(): this {
    this.schedule(0);
    return this;
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (this.stopped) return;
    this.idleMs = this.options.pollMs;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Wakes after `ms` (a retry's backoff), whatever the poll interval. */
  wakeIn(ms: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.wake();
    }, ms);
    timer.unref();
    this.delayed.add(timer);
  }

  /** Stops polling and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.delayed) clearTimeout(t);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      let idle = false;
      this.running = this.pass()
        .then((done) => {
          idle = done === 0;
        })
        .catch((err: unknown) => this.options.onError(err))
        .finally(() => {
          this.running = undefined;
          const { pollMs, idleMaxMs } = this.options;
          let next = pollMs;
          if (this.again) next = 0;
          else if (idle && idleMaxMs !== undefined) {
            next = this.idleMs;
            this.idleMs = Math.min(this.idleMs * 2, Math.max(idleMaxMs, pollMs));
          } else this.idleMs = pollMs;
          this.again = false;
          this.schedule(next);
        });
    }, delayMs);
  }
}
