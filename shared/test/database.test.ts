/**
 * Statements with parameters run prepared, once parsed per connection, and no more
 * texts are named than the bound however many differ (IN-lists of any length).
 */
import { sql } from 'kysely';
import { createDb, type Db } from '../src';
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
