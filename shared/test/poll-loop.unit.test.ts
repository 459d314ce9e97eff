import { PollLoop } from '../src/work/poll-loop';

/** A loop over a pass that does `work` more passes' worth of work, noting when each pass ran. */
function loop(options: { pollMs: number; idleMaxMs?: number }) {
  const ran: number[] = [];
  const state = { work: 0 };
  const l = new PollLoop(
    async () => {
      ran.push(Date.now());
      if (state.work === 0) return 0;
      state.work--;
      return 1;
    },
    { ...options, onError: () => undefined },
  );
  return { l, ran, state };
}

const since = (ran: number[], t0: number) => ran.map((t) => t - t0);

describe('PollLoop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('with idleMaxMs, doubles the wait after each pass that found nothing, back to pollMs once woken or busy', async () => {
    const { l, ran, state } = loop({ pollMs: 100, idleMaxMs: 800 });
    const t0 = Date.now();
    l.start();
    await jest.advanceTimersByTimeAsync(3_100);
    expect(since(ran, t0)).toEqual([0, 100, 300, 700, 1_500, 2_300, 3_100]);

    ran.length = 0;
    state.work = 2;
    const woken = Date.now();
    l.wake();
    await jest.advanceTimersByTimeAsync(900);
    // Two passes with work, then idle again: 100, 200, 400…
    expect(since(ran, woken)).toEqual([0, 100, 200, 300, 500, 900]);

    ran.length = 0;
    const retry = Date.now();
    l.wakeIn(50);
    await jest.advanceTimersByTimeAsync(160);
    // A retry falling due runs then, and resets the wait, whatever the back-off had reached.
    expect(ran).toHaveLength(2);
    expect(ran[0]! - retry).toBeGreaterThanOrEqual(50);
    expect(ran[1]! - ran[0]!).toBe(100);
    await l.stop();
  });

  it('without idleMaxMs, polls every pollMs whatever it finds', async () => {
    const { l, ran } = loop({ pollMs: 100 });
    const t0 = Date.now();
    l.start();
    await jest.advanceTimersByTimeAsync(500);
    expect(since(ran, t0)).toEqual([0, 100, 200, 300, 400, 500]);
    await l.stop();
  });
});
