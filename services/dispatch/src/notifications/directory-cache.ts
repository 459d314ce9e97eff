import { sql, type Transaction } from 'kysely';
import type { Database, Db, NotificationChannelRow, Role } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

/**
 * How long the planner keeps what it read of the directory. Changes made through
 * this process's API are seen at once (they invalidate it, see `app.ts`); a change
 * made through another dispatch instance, or straight in the database, reaches
 * this one's notifications at most this late. So do shift boundaries: they are
 * evaluated against the clock at each plan, from shifts read with this much ahead.
 */
export const DIRECTORY_CACHE_MS = 5_000;

export interface DirectoryPerson {
  readonly id: string;
  readonly unitId: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly onDuty: boolean;
}

interface DirectoryShift {
  readonly unitId: string;
  readonly personId: string;
  readonly name: string;
  readonly startsAt: number;
  readonly endsAt: number;
}

export type DirectoryChannel = Pick<NotificationChannelRow, 'id' | 'kind' | 'unitId' | 'personId'>;

/**
 * What the notification planner reads of the directory (units, role routing,
 * people, the duty roster and enabled channels), read in five statements instead
 * of several per event and unit. Lists keep PostgreSQL's order (by id, shifts by
 * start) and are only ever filtered, so messages list people and channels as before.
 */
export class DirectorySnapshot {
  /** The unit routing names for each role. */
  readonly roleUnits: ReadonlyMap<string, string>;
  /** The roles routing gives each unit, in rule order (an outside body is reached as the role it plays). */
  readonly routedRoles: ReadonlyMap<string, Role[]>;
  readonly unitNames: ReadonlyMap<string, string>;
  private readonly peopleByUnit = new Map<string, DirectoryPerson[]>();
  private readonly shiftsByUnit = new Map<string, DirectoryShift[]>();

  constructor(
    rules: readonly { match: string; unitId: string }[],
    units: readonly { id: string; name: string }[],
    people: readonly DirectoryPerson[],
    shifts: readonly DirectoryShift[],
    private readonly channels: readonly DirectoryChannel[],
  ) {
    this.roleUnits = new Map(rules.map((r) => [r.match, r.unitId]));
    const routed = new Map<string, Role[]>();
    for (const r of rules) routed.set(r.unitId, [...(routed.get(r.unitId) ?? []), r.match as Role]);
    this.routedRoles = routed;
    this.unitNames = new Map(units.map((u) => [u.id, u.name]));
    for (const p of people) this.peopleByUnit.set(p.unitId, [...(this.peopleByUnit.get(p.unitId) ?? []), p]);
    for (const s of shifts) this.shiftsByUnit.set(s.unitId, [...(this.shiftsByUnit.get(s.unitId) ?? []), s]);
  }

  /** The unit's people, by id. */
  peopleOf(unitId: string): readonly DirectoryPerson[] {
    return this.peopleByUnit.get(unitId) ?? [];
  }

  /** Who is on duty for a unit at `at`: a shift covering it, else standing duty (the rule of `onDutyAt` in shared). */
  onDutyAt(unitId: string, at: number): { personId: string; name: string }[] {
    const seen = new Set<string>();
    const shifts = (this.shiftsByUnit.get(unitId) ?? []).filter((s) => s.startsAt <= at && s.endsAt > at && !seen.has(s.personId) && seen.add(s.personId));
    if (shifts.length > 0) return shifts.map((s) => ({ personId: s.personId, name: s.name }));
    return this.peopleOf(unitId)
      .filter((p) => p.onDuty)
      .map((p) => ({ personId: p.id, name: p.name }));
  }

  /** The enabled channels of a unit and of the people named (`enabledChannels` in shared), by id. */
  enabledChannels(unitId: string, personIds: readonly string[]): DirectoryChannel[] {
    const people = new Set(personIds);
    return this.channels.filter((c) => c.unitId === unitId || (c.personId !== null && people.has(c.personId)));
  }
}

/** Reads the snapshot; shifts that have not ended and start within `aheadMs` (the cache's life and a margin for clocks). */
export async function loadDirectory(db: Executor, aheadMs: number): Promise<DirectorySnapshot> {
  // One after the other: inside the consumer's transaction they share its connection.
  const rules = await db.selectFrom('routingRules').select(['match', 'unitId']).where('kind', '=', 'role').orderBy('id').execute();
  const units = await db.selectFrom('units').select(['id', 'name']).execute();
  const people = await db.selectFrom('persons').select(['id', 'unitId', 'name', 'roles', 'onDuty']).orderBy('id').execute();
  const shifts = await db
    .selectFrom('dutyShifts')
    .innerJoin('persons', 'persons.id', 'dutyShifts.personId')
    .select(['dutyShifts.unitId', 'persons.id as personId', 'persons.name', 'dutyShifts.startsAt', 'dutyShifts.endsAt'])
    .where(sql<boolean>`duty_shifts.ends_at > now()`)
    .where(sql<boolean>`duty_shifts.starts_at <= now() + ${`${aheadMs} milliseconds`}::interval`)
    .orderBy('dutyShifts.startsAt')
    .orderBy('dutyShifts.id')
    .execute();
  const channels = await db.selectFrom('notificationChannels').select(['id', 'kind', 'unitId', 'personId']).where('enabled', '=', true).orderBy('id').execute();
  return new DirectorySnapshot(
    rules,
    units,
    people,
    shifts.map((s) => ({ ...s, startsAt: new Date(s.startsAt).getTime(), endsAt: new Date(s.endsAt).getTime() })),
    channels,
  );
}

/** The directory as the planner last read it, read again once `ttlMs` old or invalidated. */
export class DirectoryCache {
  private snapshot: { value: DirectorySnapshot; at: number } | undefined;
  private loading: Promise<DirectorySnapshot> | undefined;
  /** Bumped by each invalidation: a read that began before it is used once, never kept. */
  private generation = 0;

  constructor(private readonly ttlMs = DIRECTORY_CACHE_MS) {}

  async get(db: Executor): Promise<DirectorySnapshot> {
    if (this.snapshot && Date.now() - this.snapshot.at < this.ttlMs) return this.snapshot.value;
    if (!this.loading) {
      const generation = this.generation;
      const at = Date.now();
      const loading: Promise<DirectorySnapshot> = loadDirectory(db, this.ttlMs + 60_000)
        .then((value) => {
          if (this.generation === generation) this.snapshot = { value, at };
          return value;
        })
        .finally(() => {
          if (this.loading === loading) this.loading = undefined;
        });
      this.loading = loading;
    }
    return this.loading;
  }

  /** After a change to the directory: the next plan reads it again. */
  invalidate(): void {
    this.generation++;
    this.snapshot = undefined;
    this.loading = undefined;
  }
}

/**
 * One cache per database handle, so that the planner and the HTTP routes of one
 * process share it (they are built apart: `server.ts`, and tests). Kept under a
 * global key: a test loads this module twice (from source, and compiled through
 * the testkit's app), and both copies must find the same cache.
 */
const CACHES = Symbol.for('yuqing.dispatch.directoryCaches');

export function directoryCacheOf(db: Db): DirectoryCache {
  const registry = globalThis as { [CACHES]?: WeakMap<Db, DirectoryCache> };
  const caches = (registry[CACHES] ??= new WeakMap());
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new DirectoryCache()));
  return cache;
}
