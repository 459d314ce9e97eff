import { PollLoop, type ChannelKind, type Db, type DeliveryOutcome, type DeliveryRow, type Logger, type SealedChannelField } from '@yuqing/shared';
import { findChannel } from './channel.repository';
import { claimDueDeliveries, recordDelivered, recordFailed, type AttemptRecord } from './delivery.repository';
import { SMTP_CONNECTIONS } from './senders/email';
import { DeliveryFailure, networkFailure, type Sender } from './senders/sender';

export interface DeliveryWorkerOptions {
  readonly db: Db;
  readonly log: Logger;
  readonly senders: Readonly<Record<ChannelKind, Sender>>;
  /** Time one attempt may take. */
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  /** In flight per endpoint in this process (the SMTP relay takes its pool size). */
  readonly endpointConcurrency: number;
  /** In flight in this process. */
  readonly concurrency: number;
  /** How often to look for due work nobody woke us for. */
  readonly pollMs: number;
  /** A channel's address or secret in plaintext, from what the row stores (sealed); throws a DeliveryFailure when it cannot. */
  readonly openChannel: (field: SealedChannelField, stored: string, channelId: string) => string;
  /** After an outcome and its `notified` event commit (wakes the event relay). */
  readonly onOutcome?: () => void;
  /** Counts each recorded attempt by outcome and channel kind (the process's `yuqing_deliveries_total`). */
  readonly counted?: { inc(labels: { outcome: DeliveryOutcome; channel: ChannelKind }): void };
}

/** Settles with the send, or rejects as a timeout when the signal fires first (a sender that ignores it still frees its slot). */
function withDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeliveryFailure('timeout', true));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Drains the `deliveries` table: claims what is due, sends each without waiting
 * for the others, records the outcome. At-least-once: a delivery is marked done
 * only after its receiver accepted it, so a crash in between sends it again with
 * the same event and delivery ids (receivers deduplicate). Each endpoint has its
 * own small concurrency and every attempt a timeout, so a slow or dead endpoint
 * only ever delays itself. Woken in-process when the consumer queues work, like
 * the outbox relay; polls for retries and for work queued by other processes.
 */
export class DeliveryWorker {
  private readonly busy = new Map<string, number>();
  private inFlight = 0;
  private readonly sends = new Set<Promise<void>>();
  private lastErrorLogged = 0;
  private readonly loop: PollLoop;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.loop = new PollLoop(() => this.drainOnce(), { pollMs: options.pollMs, onError: (err) => this.logFailure(err) });
  }

  start(): this {
    this.loop.start();
    return this;
  }

  /** Looks for due work now (after the consumer committed new deliveries). */
  wake(): void {
    this.loop.wake();
  }

  /** Stops claiming and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.sends]);
  }

  /** Claims what is due and starts sending it; returns how many attempts were started. */
  async drainOnce(): Promise<number> {
    const o = this.options;
    const rows = await claimDueDeliveries(o.db, {
      limit: o.concurrency - this.inFlight,
      perEndpoint: o.endpointConcurrency,
      smtpLimit: SMTP_CONNECTIONS,
      busy: Object.fromEntries(this.busy),
      leaseMs: o.timeoutMs + 30_000,
    });
    for (const row of rows) this.launch(row);
    return rows.length;
  }

  private launch(row: DeliveryRow): void {
    this.busy.set(row.endpoint, (this.busy.get(row.endpoint) ?? 0) + 1);
    this.inFlight += 1;
    const done: Promise<void> = this.attempt(row)
      .catch((err: unknown) => this.logFailure(err, row))
      .finally(() => {
        const left = (this.busy.get(row.endpoint) ?? 1) - 1;
        if (left > 0) this.busy.set(row.endpoint, left);
        else this.busy.delete(row.endpoint);
        this.inFlight -= 1;
        this.sends.delete(done);
        this.wake();
      });
    this.sends.add(done);
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const o = this.options;
    const startedAt = new Date();
    let failure: DeliveryFailure | undefined;
    let statusCode: number | undefined;
    const channel = await findChannel(o.db, row.channelId);
    if (!channel) failure = new DeliveryFailure('channel removed', false);
    else if (!channel.enabled) failure = new DeliveryFailure('channel disabled', false);
    else {
      const signal = AbortSignal.timeout(o.timeoutMs);
      try {
        const sender = o.senders[channel.kind];
        if (!sender) throw new DeliveryFailure(`no sender for ${channel.kind}`, false);
        const outgoing = {
          deliveryId: row.id,
          eventId: row.eventId,
          eventType: row.eventType,
          incidentId: row.incidentId,
          tier: row.tier,
          summaryReportId: row.summaryReportId,
          attempt: row.attempts,
          message: row.message,
        };
        // Opened here, for this attempt only: nothing else ever holds an address or secret in plaintext.
        const address = o.openChannel('address', channel.address, channel.id);
        const secret = channel.secret === null ? null : o.openChannel('secret', channel.secret, channel.id);
        const result = await withDeadline(sender.send(outgoing, { kind: channel.kind, address, secret }, signal), signal);
        statusCode = result.statusCode;
      } catch (err) {
        failure = err instanceof DeliveryFailure ? err : networkFailure(err, signal);
      }
    }
    const finishedAt = new Date();
    const record: AttemptRecord = {
      attempt: row.attempts,
      startedAt,
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      ok: failure === undefined,
      statusCode: failure?.statusCode ?? statusCode ?? null,
      error: failure?.reason ?? null,
    };
    const about = { deliveryId: row.id, eventId: row.eventId, channel: row.channelKind, unitId: row.unitId, attempt: row.attempts };
    if (!failure) {
      if (await recordDelivered(o.db, row, record, finishedAt)) {
        o.counted?.inc({ outcome: 'sent', channel: row.channelKind });
        o.log.debug({ ...about, durationMs: record.durationMs }, 'notification delivered');
        o.onOutcome?.();
      }
      return;
    }
    const outcome = await recordFailed(o.db, row, record, failure, { maxAttempts: o.maxAttempts, retryBaseMs: o.retryBaseMs });
    if (outcome.dead || outcome.retryInMs !== undefined) o.counted?.inc({ outcome: outcome.dead ? 'dead' : 'failed', channel: row.channelKind });
    if (outcome.dead) {
      o.log.warn({ ...about, reason: failure.reason }, 'notification gave up: dead letter, an operator can retry it');
      o.onOutcome?.();
    } else if (outcome.retryInMs !== undefined) {
      o.log.info({ ...about, reason: failure.reason, retryInMs: outcome.retryInMs }, 'notification attempt failed; will retry');
      this.loop.wakeIn(outcome.retryInMs);
    }
  }

  private logFailure(err: unknown, row?: DeliveryRow): void {
    // One line per 5 s while the database is away; the rows keep the detail.
    if (Date.now() - this.lastErrorLogged < 5_000) return;
    this.lastErrorLogged = Date.now();
    this.options.log.warn({ err, deliveryId: row?.id }, 'delivery worker could not record its work; will retry');
  }
}
