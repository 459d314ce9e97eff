import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../db/database';
import type { Database, OutboxTable } from '../db/tables';
import { PollLoop } from '../work/poll-loop';

export type OutboxKind = OutboxTable['kind'];

export interface OutboxItem {
  readonly kind: OutboxKind;
  readonly dedupeKey: string;
  readonly payload: unknown;
}

/**
 * Queues work in the same transaction as the change it follows, in one statement
 * however many items. The dedupe key (workflow id, event id) makes a repeated
 * enqueue a no-op. Returns how many items were new.
 */
export async function enqueue(trx: Transaction<Database> | Db, items: OutboxItem | readonly OutboxItem[]): Promise<number> {
  const list = Array.isArray(items) ? (items as readonly OutboxItem[]) : [items as OutboxItem];
  if (list.length === 0) return 0;
  const inserted = await trx
    .insertInto('outbox')
    .values(list.map((item) => ({ kind: item.kind, dedupeKey: item.dedupeKey, payload: JSON.stringify(item.payload) })))
    .onConflict((oc) => oc.column('dedupeKey').doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

export interface RelayOptions<T> {
  readonly db: Db;
  readonly kind: OutboxKind;
  /** Does the work; must be idempotent (it may run again after a crash). */
  readonly handle: (payload: T) => Promise<void>;
  readonly log: Logger;
  /** How often to look for work nobody woke us for. */
  readonly pollMs: number;
  readonly batchSize?: number;
  /**
   * How many items a pass may take now (flow control: the workflow starter keeps
   * what Temporal has not yet taken up here, in the outbox); all of `batchSize` when absent.
   */
  readonly room?: () => Promise<number>;
}

/**
 * Drains one kind of outbox work. Several relays (processes) can run at once: rows
 * are claimed with `FOR UPDATE SKIP LOCKED`. A failed item is retried with
 * exponential backoff up to a minute; it is never dropped.
 */
export class OutboxRelay<T = unknown> {
  private lastErrorLogged = 0;
  private readonly loop: PollLoop;

  constructor(private readonly options: RelayOptions<T>) {
    this.loop = new PollLoop((woken) => this.pass(woken), { pollMs: options.pollMs, onError: (err) => this.logFailure(err, 0) });
  }

  start(): this {
    this.loop.start();
    return this;
  }

  /** Runs a pass now (after a commit in this process) instead of at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  /** Stops polling and waits for the pass in progress. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * A timer's pass asks first whether anything is due, in one statement: most find
   * nothing, and the claiming transaction is three round trips (in an idle intake's
   * CPU profile the polls were about half of its busy time). A woken pass follows a
   * commit here and claims at once.
   */
  private async pass(woken: boolean): Promise<number> {
    if (!woken && !(await this.anythingDue())) return 0;
    return this.drainOnce();
  }

  private async anythingDue(): Promise<boolean> {
    const row = await this.options.db
      .selectNoFrom((eb) =>
        eb
          .exists(
            eb
              .selectFrom('outbox')
              .select(sql`1`.as('one'))
              .where('kind', '=', this.options.kind)
              .where('doneAt', 'is', null)
              .where(sql<boolean>`available_at <= now()`),
          )
          .as('due'),
      )
      .executeTakeFirstOrThrow();
    return row.due as boolean;
  }

  /** One pass over everything due; returns how many items were done. */
  async drainOnce(): Promise<number> {
    const { db, kind, handle, batchSize = 100, room } = this.options;
    let done = 0;
    for (;;) {
      const limit = room ? Math.min(batchSize, await room()) : batchSize;
      if (limit <= 0) return done;
      const claimed = await db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('outbox')
          .select(['id', 'payload', 'attempts'])
          .where('kind', '=', kind)
          .where('doneAt', 'is', null)
          .where(sql<boolean>`available_at <= now()`)
          .orderBy('id')
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .execute();
        const results = await Promise.allSettled(rows.map((row) => handle(row.payload as T)));
        const ok = rows.filter((_, i) => results[i]?.status === 'fulfilled').map((r) => r.id);
        if (ok.length > 0) {
          await trx
            .updateTable('outbox')
            .set({ doneAt: sql`now()`, lastError: null })
            .where('id', 'in', ok)
            .execute();
        }
        for (const [i, row] of rows.entries()) {
          const result = results[i];
          if (result?.status !== 'rejected') continue;
          const delayMs = Math.min(60_000, 250 * 2 ** Math.min(row.attempts, 8));
          await trx
            .updateTable('outbox')
            .set({
              attempts: row.attempts + 1,
              lastError: String((result.reason as Error)?.message ?? result.reason).slice(0, 1_000),
              availableAt: sql`now() + ${`${delayMs} milliseconds`}::interval`,
            })
            .where('id', '=', row.id)
            .execute();
          this.logFailure(result.reason, row.attempts + 1);
        }
        return { claimed: rows.length, ok: ok.length };
      });
      done += claimed.ok;
      if (claimed.claimed < limit || claimed.ok === 0) return done;
    }
  }

  private logFailure(err: unknown, attempts: number): void {
    // One line per 5 s is enough while a dependency is down; the rows keep the detail.
    if (Date.now() - this.lastErrorLogged < 5_000) return;
    this.lastErrorLogged = Date.now();
    this.options.log.warn({ err, kind: this.options.kind, attempts }, 'outbox work failed; will retry');
  }
}
