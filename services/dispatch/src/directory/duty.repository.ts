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

/** One unit's part of the roster: who is on duty now, and its shifts from now until the horizon. */
export interface UnitRoster {
  readonly onDuty: OnDutyPerson[];
  readonly shifts: (DutyShiftRow & { personName: string })[];
}

/**
 * The duty roster of many units at once (值班表), in two queries whatever their
 * number: the shifts that have not ended and start before `until`, and the people on
 * standing duty. Who is on duty now follows `onDutyAt`'s rule: a shift covering now
 * beats standing duty. `unitIds` undefined: every unit.
 */
export async function dutyRoster(db: Executor, o: { readonly unitIds?: readonly string[]; readonly until: Date }): Promise<Map<string, UnitRoster>> {
  const out = new Map<string, UnitRoster>();
  if (o.unitIds?.length === 0) return out;
  const of = (unitId: string) => {
    let r = out.get(unitId);
    if (!r) out.set(unitId, (r = { onDuty: [], shifts: [] }));
    return r;
  };
  let shiftsQ = db
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
      'persons.title as personTitle',
      sql<boolean>`duty_shifts.starts_at <= now()`.as('current'),
    ])
    .where(sql<boolean>`duty_shifts.ends_at > now()`)
    .where('dutyShifts.startsAt', '<', o.until)
    .orderBy('dutyShifts.startsAt')
    .orderBy('dutyShifts.id')
    .limit(5_000);
  let standingQ = db.selectFrom('persons').select(['id', 'unitId', 'name', 'title']).where('onDuty', '=', true).orderBy('id');
  if (o.unitIds) {
    shiftsQ = shiftsQ.where('dutyShifts.unitId', 'in', [...o.unitIds]);
    standingQ = standingQ.where('unitId', 'in', [...o.unitIds]);
  }
  const [shifts, standing] = await Promise.all([shiftsQ.execute(), standingQ.execute()]);
  for (const { personTitle, current, ...shift } of shifts) {
    const r = of(shift.unitId);
    r.shifts.push(shift);
    if (current && !r.onDuty.some((d) => d.personId === shift.personId)) {
      r.onDuty.push({ personId: shift.personId, name: shift.personName, title: personTitle, via: 'roster', until: shift.endsAt });
    }
  }
  for (const p of standing) {
    const r = of(p.unitId);
    if (!r.onDuty.some((d) => d.via === 'roster')) r.onDuty.push({ personId: p.id, name: p.name, title: p.title, via: 'standing' });
  }
  return out;
}
