/**
 * Runs a pass of background work now and again: every `pollMs`, at once when
 * woken (after a commit in this process), or after a delay (a retry that falls
 * due); never two passes at once, and a wake during a pass runs another right
 * after it. The outbox relays and the delivery worker each run on one. The pass
 * is told whether it was woken: a timer's pass usually finds nothing to do.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private readonly delayed = new Set<NodeJS.Timeout>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly pass: (woken: boolean) => Promise<unknown>,
    private readonly options: { readonly pollMs: number; readonly onError: (err: unknown) => void },
  ) {}

  start(): this {
    this.schedule(0, false);
    return this;
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0, true);
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

  private schedule(delayMs: number, woken: boolean): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.pass(woken)
        .then(() => undefined)
        .catch((err: unknown) => this.options.onError(err))
        .finally(() => {
          this.running = undefined;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : this.options.pollMs, again);
        });
    }, delayMs);
  }
}
