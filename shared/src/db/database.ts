import {
  CamelCasePlugin,
  Kysely,
  PostgresDialect,
  sql,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from 'kysely';
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
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparing(pool) }), plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })] });
}

/**
 * Statements with parameters run as named prepared statements: PostgreSQL parses
 * each text once per connection and, after a few runs, plans it once (a report's
 * join is a handful of statements whose parsing and planning cost more than running
 * them). The names are given per process to the first `MAX_PREPARED` texts seen, so
 * texts that vary (IN-lists of any length) cannot grow what each connection keeps
 * without limit; later texts run unnamed as before. Statements without parameters
 * (BEGIN, COMMIT, migrations' DDL) stay simple queries.
 */
const MAX_PREPARED = 500;
/** SQLSTATE 0A000, which PostgreSQL gives a prepared statement whose result type a migration changed. */
const FEATURE_NOT_SUPPORTED = '0A000';
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED) {
    name = `yq_${statementNames.size.toString(36)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A pooled client whose statements with parameters run prepared (see `statementName`).
 * A migration run while the process serves can change what a prepared `select *` or
 * `returning *` answers; PostgreSQL then refuses that statement on this connection
 * ("cached plan must not change result type") every time. Such a text runs unnamed
 * on this connection from then on, and the statement is tried again at once unless a
 * transaction was open (the refusal ended it; the caller's retry runs unnamed).
 */
class PreparingClient implements PostgresPoolClient {
  private readonly unnamed = new Set<string>();
  private inTransaction = false;

  constructor(private readonly client: pg.PoolClient) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(q: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof q !== 'string') return this.client.query(q as unknown as pg.Submittable) as unknown as PostgresCursor<R>;
    const values = parameters ? [...parameters] : [];
    if (values.length === 0) this.followTransaction(q);
    const name = values.length > 0 && !this.unnamed.has(q) ? statementName(q) : undefined;
    if (!name) return this.client.query({ text: q, values }) as unknown as Promise<PostgresQueryResult<R>>;
    const inTransaction = this.inTransaction;
    return (this.client.query({ name, text: q, values }) as unknown as Promise<PostgresQueryResult<R>>).catch((err: unknown) => {
      if ((err as { code?: string }).code !== FEATURE_NOT_SUPPORTED || !/cached plan must not change result type/.test(String((err as Error).message)))
        throw err;
      this.unnamed.add(q);
      if (inTransaction) throw err;
      return this.client.query({ text: q, values }) as unknown as Promise<PostgresQueryResult<R>>;
    });
  }

  /** kysely opens and ends transactions with statements of their own, without parameters. */
  private followTransaction(q: string): void {
    const verb = /^\s*(\w+)/.exec(q)?.[1]?.toLowerCase();
    if (verb === 'begin' || verb === 'start') this.inTransaction = true;
    else if (verb === 'commit' || verb === 'rollback' || verb === 'end' || verb === 'abort') this.inTransaction = false;
  }

  release(destroy?: boolean): void {
    this.client.release(destroy);
  }
}

function preparing(pool: pg.Pool): PostgresPool {
  // One wrapper per pooled client: kysely keys its connection state by the client object.
  const wrappers = new WeakMap<pg.PoolClient, PreparingClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = new PreparingClient(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
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
