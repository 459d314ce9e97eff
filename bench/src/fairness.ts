/**
 * Fairness: does one key's burst, within its per-minute limit, slow every other
 * key down? A quiet key reports at a steady pace (each request started on time,
 * whatever the previous one's latency, so a slow answer cannot hide the next);
 * after an idle stretch, loud keys each send a burst, the platform settling
 * after each. The quiet key's latency idle and during the bursts is the figure.
 */
import autocannon from 'autocannon';
import { Latencies } from './stats';

export interface FairnessOptions {
  /** Base URL of the intake service. */
  readonly url: string;
  readonly quietKey: string;
  /** One key per burst: a burst stays within one key's minute. */
  readonly loudKeys: readonly string[];
  /** A fresh incident body per request (idempotency keys must not repeat). */
  readonly body: () => string;
  readonly burst: number;
  readonly connections: number;
  readonly quietEveryMs: number;
  readonly idleMs: number;
  /** Pause after a burst's work has settled, before the next. */
  readonly gapMs: number;
  /**
   * Resolves once the platform has done with what was accepted so far (workflows
   * started, first events out): each burst starts from idle, not from the last
   * one's backlog, so the figure is one burst's effect.
   */
  readonly settle: () => Promise<void>;
}

export interface FairnessResult {
  readonly quietIdle: ReturnType<Latencies['summary']>;
  readonly quietDuringBurst: ReturnType<Latencies['summary']>;
  /** Quiet requests not answered 202 (there should be none). */
  readonly quietRefused: number;
  readonly loud: {
    readonly bursts: number;
    readonly sentPerBurst: number;
    readonly connections: number;
    readonly accepted: number;
    readonly refused429: number;
    readonly other: number;
    readonly burstSeconds: number[];
    readonly latency: ReturnType<Latencies['summary']>;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureFairness(o: FairnessOptions): Promise<FairnessResult> {
  const idle = new Latencies();
  const during = new Latencies();
  let phase: 'idle' | 'burst' | 'settling' = 'settling';
  let quietRefused = 0;
  const post = (key: string) =>
    fetch(`${o.url}/v1/incidents`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: o.body() });
  // The key's first request looks it up in the database: not part of either figure.
  await (await post(o.quietKey)).arrayBuffer();

  const inFlight = new Set<Promise<void>>();
  const ticker = setInterval(() => {
    const into = phase === 'idle' ? idle : phase === 'burst' ? during : undefined;
    const started = performance.now();
    const p = post(o.quietKey)
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.status !== 202) quietRefused++;
        else into?.record(performance.now() - started);
      })
      .catch(() => void quietRefused++)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, o.quietEveryMs);

  const loudLatency = new Latencies();
  const loud = { accepted: 0, refused429: 0, other: 0, burstSeconds: [] as number[] };
  try {
    await o.settle();
    phase = 'idle';
    await sleep(o.idleMs);
    for (const key of o.loudKeys) {
      phase = 'burst';
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const instance = autocannon(
          {
            url: o.url,
            connections: o.connections,
            amount: o.burst,
            requests: [
              {
                method: 'POST',
                path: '/v1/incidents',
                headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
                setupRequest: (req) => ({ ...req, body: o.body() }),
                onResponse: (status) => {
                  if (status === 202) loud.accepted++;
                  else if (status === 429) loud.refused429++;
                  else loud.other++;
                },
              },
            ],
          },
          (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
        );
        instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => loudLatency.record(ms));
      });
      loud.burstSeconds.push(Math.round((performance.now() - t0) / 100) / 10);
      phase = 'settling';
      await o.settle();
      await sleep(o.gapMs);
    }
  } finally {
    clearInterval(ticker);
    await Promise.all([...inFlight]);
  }
  return {
    quietIdle: idle.summary(),
    quietDuringBurst: during.summary(),
    quietRefused,
    loud: { bursts: o.loudKeys.length, sentPerBurst: o.burst, connections: o.connections, ...loud, latency: loudLatency.summary() },
  };
}
