import pg from 'pg';
import { createDb, ensureDatabase, migrateToLatest, type Db } from '@yuqing/shared';
import { stackEnv, uniqueToken } from './env';

export const TEMPLATE_DATABASE = 'yuqing_test_template';
const TEST_PREFIX = 'yuqing_t_';

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

/** Rebuilds the migrated template every test database is copied from (global setup). */
export async function prepareTemplateDatabase(): Promise<void> {
  await admin(async (c) => {
    await c.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    // Leftovers of interrupted runs.
    const stale = await c.query<{ datname: string }>(`select datname from pg_database where datname like '${TEST_PREFIX}%'`);
    for (const row of stale.rows) await c.query(`drop database if exists "${row.datname}" with (force)`);
  });
  await ensureDatabase(urlFor(TEMPLATE_DATABASE));
  const db = createDb({ url: urlFor(TEMPLATE_DATABASE), poolMax: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
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
