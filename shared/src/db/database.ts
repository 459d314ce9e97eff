import { CamelCasePlugin, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './tables';

export type Db = Kysely<Database>;

/**
 * One kysely instance per process over a pg pool. snake_case columns are mapped
 * to camelCase once, here.
 */
export function createDb(options: { url: string; poolMax?: number; applicationName?: string }): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    application_name: options.applicationName ?? 'yuqing',
    // Fail fast when PostgreSQL is down so callers can answer 503 instead of hanging.
    connectionTimeoutMillis: 5_000,
  });
  // A client losing its connection (server restart) must not crash the process:
  // idle clients report through the pool, checked-out ones through their own
  // 'error' event (the query they run fails on its own and is handled there).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  // Nested keys stay as stored: jsonb documents keyed by codes (`investigation_report`,
  // `food_safety`) must read back as written, not camel-cased.
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })] });
}

/** True when the database answers a trivial query. */
export async function databaseReachable(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
