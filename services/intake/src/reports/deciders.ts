/**
 * The reports of this process deciding alone whether they open an incident, by the
 * advisory-lock keys they take (`lockKeysOf`). A report that finds nothing to join
 * while one of them decides under a key of its own waits here, holding nothing, and
 * is tried again once that one has committed: it then usually joins what was opened.
 * Without this, every report of a new event already in flight when its incident
 * opened queued in PostgreSQL for the same locks, each holding a pooled connection
 * and the locks to its commit: one after another, while the pool ran dry for all
 * the other reports. Across processes the advisory locks still decide.
 */
export class Deciders {
  private readonly byKey = new Map<string, Set<Promise<void>>>();

  /** Settles once every report deciding now under one of these keys has ended; undefined when none is. */
  settled(keys: readonly string[]): Promise<void> | undefined {
    const deciding = new Set<Promise<void>>();
    for (const key of keys) for (const d of this.byKey.get(key) ?? []) deciding.add(d);
    return deciding.size ? Promise.all(deciding).then(() => undefined) : undefined;
  }

  /** Marks a report deciding under these keys; the function returned ends it (call it once its transaction has ended). */
  enter(keys: readonly string[]): () => void {
    let end!: () => void;
    const deciding = new Promise<void>((resolve) => (end = resolve));
    for (const key of keys) {
      const set = this.byKey.get(key) ?? new Set();
      this.byKey.set(key, set.add(deciding));
    }
    return () => {
      for (const key of keys) {
        const set = this.byKey.get(key);
        set?.delete(deciding);
        if (set?.size === 0) this.byKey.delete(key);
      }
      end();
    };
  }
}

/** Thrown inside a report's transaction (which then keeps nothing) to try it again once `settled`. */
export class DecidingMeanwhile extends Error {
  constructor(readonly settled: Promise<void>) {
    super('a report of the same keys is deciding in this process');
  }
}
