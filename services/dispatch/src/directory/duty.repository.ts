import { sql, type Transaction } from 'kysely';
import type { Database, Db, DutyShiftRow } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

/** A person answering for a unit now: by the roster, or standing duty when no shift covers now. */
export interface OnDutyPerson {
  readonly personId: string;
  readonly name: string;
  readonly title: string | null;
  readonly via: 'roster' | 'standing';
  /** End of the covering shift (roster only). */
  readonly until?: Date;
}

/**
 * Who is on duty for a unit now (plan §8: staff reachable 24 hours). A shift on
 * the roster wins; with none covering now, the people marked on standing duty answer.
 */
export async function onDutyNow(db: Executor, unitId: string): Promise<OnDutyPerson[]> {
  const shifts = await db
    .selectFrom('dutyShifts')
    .innerJoin('persons', 'persons.id', 'dutyShifts.personId')
    .select(['persons.id', 'persons.name', 'persons.title', 'dutyShifts.endsAt'])
    .where('dutyShifts.unitId', '=', unitId)
    .where(sql<boolean>`duty_shifts.starts_at <= now() and duty_shifts.ends_at > now()`)
    .orderBy('dutyShifts.startsAt')
    .execute();
  if (shifts.length > 0) {
    const seen = new Set<string>();
    return shifts
      .filter((s) => !seen.has(s.id) && seen.add(s.id))
      .map((s) => ({ personId: s.id, name: s.name, title: s.title, via: 'roster' as const, until: s.endsAt }));
  }
  const standing = await db
    .selectFrom('persons')
    .select(['id', 'name', 'title'])
    .where('unitId', '=', unitId)
    .where('onDuty', '=', true)
    .orderBy('id')
    .execute();
  return standing.map((p) => ({ personId: p.id, name: p.name, title: p.title, via: 'standing' as const }));
}

/** Shifts of a unit that have not ended yet, earliest first. */
export async function upcomingShifts(db: Executor, unitId: string): Promise<(DutyShiftRow & { personName: string })[]> {
  return db
    .selectFrom('dutyShifts')
    .innerJoin('persons', 'persons.id', 'dutyShifts.personId')
    .select([
      'dutyShifts.id',
      'dutyShifts.unitId',
      'dutyShifts.personId',
      'dutyShifts.startsAt',
      'dutyShifts.endsAt',
      'dutyShifts.note',
      'dutyShifts.createdBy',
      'dutyShifts.createdAt',
      'persons.name as personName',
    ])
    .where('dutyShifts.unitId', '=', unitId)
    .where(sql<boolean>`duty_shifts.ends_at > now()`)
    .orderBy('dutyShifts.startsAt')
    .limit(200)
    .execute();
}

export async function insertShift(
  db: Executor,
  shift: { unitId: string; personId: string; startsAt: string; endsAt: string; note?: string | undefined; createdBy: string },
): Promise<DutyShiftRow> {
  return db
    .insertInto('dutyShifts')
    .values({
      unitId: shift.unitId,
      personId: shift.personId,
      startsAt: shift.startsAt,
      endsAt: shift.endsAt,
      note: shift.note ?? null,
      createdBy: shift.createdBy,
    })
    .returning(['id', 'unitId', 'personId', 'startsAt', 'endsAt', 'note', 'createdBy', 'createdAt'])
    .executeTakeFirstOrThrow();
}

export async function deleteShift(db: Executor, unitId: string, id: string): Promise<DutyShiftRow | undefined> {
  return db
    .deleteFrom('dutyShifts')
    .where('unitId', '=', unitId)
    .where('id', '=', id)
    .returning(['id', 'unitId', 'personId', 'startsAt', 'endsAt', 'note', 'createdBy', 'createdAt'])
    .executeTakeFirst();
}
