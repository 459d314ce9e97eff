import { createHash } from 'node:crypto';
import pg from 'pg';
import { createDb, DEFAULT_POLICY, ensureDatabase, migrateToLatest, MIGRATIONS, type Db } from '@yuqing/shared';
import { stackEnv, uniqueToken } from './env';

/**
 * Test databases are copies of a migrated template. The template's name carries a
 * hash of the migrations (names and code) and of the seeded default policy, so suites of
 * different checkouts running at the same time on one server never rebuild each other's
 * template or drop each other's copies, and a changed migration or seed is never served stale.
 */
const TEST_PREFIX = 'yqtest_';
export const TEMPLATE_DATABASE = `${TEST_PREFIX}tpl_${createHash('sha256')
  .update(
    Object.entries(MIGRATIONS)
      .map(([name, m]) => `${name}:${String(m.up)}`)
      .join('|'),
  )
  .update(JSON.stringify(DEFAULT_POLICY))
  .digest('hex')
  .slice(0, 10)}`;
/** Copies older than this are leftovers of interrupted runs. */
const STALE_MS = 6 * 3_600_000;

function urlFor(name: string): string {
  const url = new URL(stackEnv().databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Makes sure the migrated template exists (global setup); cleans up stale copies. */
export async function prepareTemplateDatabase(): Promise<void> {
  await admin(async (c) => {
    await c.query('select pg_advisory_lock(hashtext($1))', [TEMPLATE_DATABASE]);
    try {
      const exists = await c.query('select 1 from pg_database where datname = $1', [TEMPLATE_DATABASE]);
      if (!exists.rowCount) {
        await ensureDatabase(urlFor(TEMPLATE_DATABASE));
        const db = createDb({ url: urlFor(TEMPLATE_DATABASE), poolMax: 1 });
        try {
          await migrateToLatest(db);
        } finally {
          await db.destroy();
        }
      }
      const copies = await c.query<{ datname: string }>("select datname from pg_database where starts_with(datname, $1) and datname not like '%tpl%'", [
        TEST_PREFIX,
      ]);
      for (const { datname } of copies.rows) {
        const born = parseInt(datname.slice(TEST_PREFIX.length, TEST_PREFIX.length + 8), 36);
        if (Number.isFinite(born) && Date.now() - born > STALE_MS) await c.query(`drop database if exists "${datname}" with (force)`);
      }
    } finally {
      await c.query('select pg_advisory_unlock(hashtext($1))', [TEMPLATE_DATABASE]);
    }
  });
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly db: Db;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file (a copy of the template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${TEST_PREFIX}${uniqueToken()}`;
  await admin((c) => c.query(`create database "${name}" template ${TEMPLATE_DATABASE}`));
  const url = urlFor(name);
  const db = createDb({ url, poolMax: 10, applicationName: 'yuqing-test' });
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
