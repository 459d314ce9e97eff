import { sql, type Transaction } from 'kysely';
import { onDutyAt, type Database, type Db, type DutyShiftRow, type OnDutyPerson } from '@yuqing/shared';

type Executor = Db | Transaction<Database>;

export type { OnDutyPerson } from '@yuqing/shared';

/** Who is on duty for a unit now: a shift on the roster, else standing duty (`onDutyAt` in shared). */
export const onDutyNow = (db: Executor, unitId: string): Promise<OnDutyPerson[]> => onDutyAt(db, unitId);

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
