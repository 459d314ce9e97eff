/**
 * Statements with parameters run prepared, once parsed per connection, and no more
 * texts are named than the bound however many differ (IN-lists of any length).
 */
import { sql } from 'kysely';
import { compileOnce, createDb, type Db } from '../src';
import { createTestDatabase, type TestDatabase } from '@yuqing/testkit';

let t: TestDatabase;
let db: Db;

beforeAll(async () => {
  t = await createTestDatabase();
  // One connection: the prepared statements seen are this session's.
  db = createDb({ url: t.url, poolMax: 1 });
});

afterAll(async () => {
  await db?.destroy();
  await t?.drop();
});

const prepared = async (like: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where statement like ${like}`.execute(db)).rows[0]!.n;

test('a statement with parameters is prepared once per connection and answers as before; one without stays a simple query', async () => {
  for (let i = 0; i < 3; i++) {
    const { rows } = await sql<{ v: number }>`select ${i}::int + 1 as v /* prepared-once */`.execute(db);
    expect(rows[0]!.v).toBe(i + 1);
  }
  expect(await prepared('%prepared-once%')).toBe(1);
  await sql`select 1 /* never-prepared */`.execute(db);
  expect(await prepared('%never-prepared%')).toBe(0);
});

test('texts that vary name no more statements than the bound', async () => {
  for (let n = 1; n <= 600; n++) {
    const ids = Array.from({ length: n }, (_, i) => i);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from unnest(array[${sql.join(ids)}]::int[]) /* in-list */`.execute(db);
    expect(rows[0]!.n).toBe(n);
  }
  const all = (await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(db)).rows[0]!.n;
  expect(all).toBeLessThanOrEqual(500);
  expect(await prepared('%in-list%')).toBeGreaterThan(0);
});

test('a migration that changes what a prepared `select *` answers: the statement is prepared again unnamed, outside and inside a transaction', async () => {
  await sql`create table prepared_shape (id int primary key)`.execute(db);
  await sql`insert into prepared_shape values (1)`.execute(db);
  const read = (on: Pick<Db, 'selectFrom'> = db) =>
    on
      .selectFrom('prepared_shape' as never)
      .selectAll()
      .where(sql.ref('id'), '=', 1)
      .execute();
  expect(await read()).toEqual([{ id: 1 }]);
  await sql`alter table prepared_shape add column note text default 'x'`.execute(db);
  // Outside a transaction it is answered at once, with the new column.
  expect(await read()).toEqual([{ id: 1, note: 'x' }]);
  await sql`alter table prepared_shape add column more int default 2`.execute(db);
  const inTransaction = () => db.transaction().execute((trx) => read(trx));
  // Not prepared any more on this connection: a transaction reads it too.
  expect(await inTransaction()).toEqual([{ id: 1, note: 'x', more: 2 }]);
});

describe('compileOnce', () => {
  beforeAll(async () => {
    await sql`create table compiled_once (id int primary key, name text, note text default 'default', at timestamptz)`.execute(db);
  });

  const insert = compileOnce((db, a: { row: { id: number; name: string | null; at: Date } }) =>
    db
      .insertInto('compiled_once' as never)
      .values(a.row as never)
      .returning(sql<string>`name || '/' || note`.as('shown')),
  );
  let built = 0;
  const byName = compileOnce((db, a: { name: string }) => {
    built++;
    return db
      .selectFrom('compiled_once' as never)
      .select(sql<number>`id`.as('rowId'))
      .where(sql.ref('name'), '=', a.name)
      .orderBy(sql.ref('id'));
  });

  test('later runs reuse the text compiled at the first and take their own values, rows camel-cased', async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    expect((await insert.executeTakeFirst(db, { row: { id: 1, name: 'a', at } }))?.shown).toBe('a/default');
    const text = insert.sql;
    expect(text).toMatch(/insert into "compiled_once"/);
    expect((await insert.executeTakeFirst(db, { row: { id: 2, name: 'b', at } }))?.shown).toBe('b/default');
    await db.transaction().execute((trx) => insert.execute(trx, { row: { id: 3, name: 'b', at } }));
    expect(insert.sql).toBe(text);
    expect((await byName.execute(db, { name: 'a' })).rows).toEqual([{ rowId: 1 }]);
    expect((await byName.execute(db, { name: 'b' })).rows).toEqual([{ rowId: 2 }, { rowId: 3 }]);
    expect((await byName.execute(db, { name: 'none' })).rows).toEqual([]);
    // Built twice at the first run (its values, then placeholders), never again.
    expect(built).toBe(2);
    const { rows } = await sql<{ at: Date }>`select at from compiled_once where id = 3`.execute(db);
    expect(rows[0]!.at.toISOString()).toBe(at.toISOString());
  });

  test('a run whose row does not fit what was compiled (a column more, or one undefined that kysely leaves out) runs as built', async () => {
    const at = new Date();
    await insert.execute(db, { row: { id: 10, name: 'c', at } });
    const text = insert.sql;
    // An undefined column is left out by kysely: the column keeps its default, not null.
    expect((await insert.executeTakeFirst(db, { row: { id: 11, name: 'd', at: undefined as unknown as Date } }))?.shown).toBe('d/default');
    const wider = { id: 12, name: 'e', at, note: 'given' };
    expect((await insert.executeTakeFirst(db, { row: wider }))?.shown).toBe('e/given');
    expect(insert.sql).toBe(text);
  });

  test('a statement whose shape depends on its values is not kept: every run is built as before', async () => {
    // Misuse on purpose: the placeholders compile to another text than the first run's values.
    const shaped = compileOnce((db, a: { name: string | null }) =>
      db
        .selectFrom('compiled_once' as never)
        .select(sql<number>`id`.as('rowId'))
        .where(sql.ref('name'), a.name === 'a' ? '=' : '<>', a.name)
        .orderBy(sql.ref('id')),
    );
    expect((await shaped.execute(db, { name: 'a' })).rows).toEqual([{ rowId: 1 }]);
    expect(shaped.sql).toBeUndefined();
    expect((await shaped.execute(db, { name: 'b' })).rows.map((r) => r.rowId)).not.toContain(2);
  });
});
