import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database';
import type { Database } from '../db/tables';
import { INFORMATION_OFFICER_UNIT_KINDS, type AnswerableVia, type UnitKind } from '../domain/vocabulary';

type Executor = Db | Transaction<Database>;

/** A person answering for a unit at a moment: by the duty roster, or standing duty when no shift covers it. */
export interface OnDutyPerson {
  readonly personId: string;
  readonly name: string;
  readonly title: string | null;
  readonly via: 'roster' | 'standing';
  /** End of the covering shift (roster only). */
  readonly until?: Date;
}

/** Who answered for a unit, for the record: on duty, or its information officer when nobody was. */
export type AnswerablePerson = Omit<OnDutyPerson, 'via'> & { readonly via: AnswerableVia };

/**
 * Who is on duty for a unit at `at` (default now; plan §8(五)3: staff reachable 24
 * hours). A shift on the roster wins; with none covering the moment, the people
 * marked on standing duty answer.
 */
export async function onDutyAt(db: Executor, unitId: string, at?: Date): Promise<OnDutyPerson[]> {
  const moment = at ? sql`${at.toISOString()}::timestamptz` : sql`now()`;
  const shifts = await db
    .selectFrom('dutyShifts')
    .innerJoin('persons', 'persons.id', 'dutyShifts.personId')
    .select(['persons.id', 'persons.name', 'persons.title', 'dutyShifts.endsAt'])
    .where('dutyShifts.unitId', '=', unitId)
    .where(sql<boolean>`duty_shifts.starts_at <= ${moment} and duty_shifts.ends_at > ${moment}`)
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

/** A unit's information officers (舆情信息员, plan §2(一)): its people holding the role. */
export async function informationOfficersOf(db: Executor, unitId: string): Promise<{ id: string; name: string; title: string | null }[]> {
  return db
    .selectFrom('persons')
    .select(['id', 'name', 'title'])
    .where('unitId', '=', unitId)
    .where(sql<boolean>`roles ? 'information_officer'`)
    .orderBy('id')
    .execute();
}

/**
 * Who answered for a unit at a moment, for the record: the duty roster (or standing
 * duty), else its information officers. Empty when the directory names nobody.
 */
export async function answerableAt(db: Executor, unitId: string, at: Date): Promise<AnswerablePerson[]> {
  const onDuty = await onDutyAt(db, unitId, at);
  if (onDuty.length > 0) return onDuty;
  return (await informationOfficersOf(db, unitId)).map((p) => ({ personId: p.id, name: p.name, title: p.title, via: 'information_officer' as const }));
}

/** A unit of a kind that must name an information officer, and has none. */
export interface InformationOfficerGap {
  readonly unitId: string;
  readonly unitName: string;
  readonly unitKind: UnitKind;
}

/** The units that must name an information officer and have none, by id. */
export async function informationOfficerGaps(db: Executor): Promise<InformationOfficerGap[]> {
  const rows = await db
    .selectFrom('units')
    .select(['units.id', 'units.name', 'units.kind'])
    .where('units.kind', 'in', [...INFORMATION_OFFICER_UNIT_KINDS])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('persons')
            .select('persons.id')
            .whereRef('persons.unitId', '=', 'units.id')
            .where(sql<boolean>`persons.roles ? 'information_officer'`),
        ),
      ),
    )
    .orderBy('units.id')
    .execute();
  return rows.map((r) => ({ unitId: r.id, unitName: r.name, unitKind: r.kind }));
}
