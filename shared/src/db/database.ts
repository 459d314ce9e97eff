import {
  CamelCasePlugin,
  createQueryId,
  Kysely,
  PostgresDialect,
  sql,
  type CompiledQuery,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  type QueryResult,
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

type Args = Readonly<Record<string, unknown>>;

/** Where a statement compiled once takes a parameter from: `args[group]`, or `args[group][key]` for a row given whole. */
class Slot {
  constructor(
    readonly group: string,
    readonly key: string | undefined,
  ) {}
}

/** A plain object among the arguments is a row (its fields are the parameters); anything else is one parameter. */
const isRow = (v: unknown): v is Args => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function slotsOf(args: Args): Args {
  return Object.fromEntries(
    Object.entries(args).map(([group, v]) => [
      group,
      isRow(v) ? Object.fromEntries(Object.keys(v).map((key) => [key, new Slot(group, key)])) : new Slot(group, undefined),
    ]),
  );
}

/** A query builder or a `sql` template (which compiles against the executor given). */
type Buildable<O> = { compile(db: Kysely<Database>): CompiledQuery<O> };

export interface CompiledStatement<A extends Args, O> {
  /** The text compiled, once a run found it (tests look at it). */
  readonly sql: string | undefined;
  execute(db: Kysely<Database>, args: A): Promise<QueryResult<O>>;
  executeTakeFirst(db: Kysely<Database>, args: A): Promise<O | undefined>;
}

/**
 * A statement kysely compiles once per process instead of on every run: building
 * and compiling a query (its nodes walked again by the camel-case plugin) costs a
 * report more CPU than most of its statements cost PostgreSQL. `build` is called
 * with the arguments replaced by placeholders; the text it compiles to is kept with
 * where each parameter comes from, and later runs only fill the values in. So the
 * statement's shape must not depend on its arguments (choose between statements
 * for that): they are used as values only. A top-level plain object is a row whose
 * fields are values (`values(args.row)`), and must have the same fields every run.
 * The first run checks the placeholders compile to what the arguments do; a run
 * whose arguments do not fit what was compiled (a field missing or added, a value
 * undefined, which kysely leaves out of an insert) is built and compiled as before.
 */
export function compileOnce<A extends Args, O>(build: (db: Kysely<Database>, args: A) => Buildable<O>): CompiledStatement<A, O> {
  let compiled: { sql: string; query: CompiledQuery['query']; plan: unknown[]; rows: Map<string, number> } | undefined;
  const fill = (args: A): unknown[] | undefined => {
    const c = compiled!;
    for (const [group, n] of c.rows) {
      const row = args[group];
      if (!isRow(row) || Object.keys(row).length !== n) return undefined;
    }
    const values = new Array<unknown>(c.plan.length);
    for (let i = 0; i < c.plan.length; i++) {
      const p = c.plan[i];
      if (!(p instanceof Slot)) values[i] = p;
      else {
        const v = p.key === undefined ? args[p.group] : (args[p.group] as Args)[p.key];
        if (v === undefined) return undefined;
        values[i] = v;
      }
    }
    return values;
  };
  const statement = {
    get sql() {
      return compiled?.sql;
    },
    async execute(db: Kysely<Database>, args: A): Promise<QueryResult<O>> {
      const values = compiled && fill(args);
      if (values) return db.executeQuery<O>({ sql: compiled!.sql, query: compiled!.query, parameters: values, queryId: createQueryId() });
      const real = build(db, args).compile(db);
      if (!compiled) {
        const slots = slotsOf(args);
        const placeheld = build(db, slots as A).compile(db);
        const rows = new Map(Object.entries(slots).flatMap(([group, v]) => (v instanceof Slot ? [] : [[group, Object.keys(v as Args).length] as const])));
        compiled = { sql: placeheld.sql, query: placeheld.query, plan: [...placeheld.parameters], rows };
        const filled = fill(args);
        // Kept only when the placeholders compile to what these arguments did; else tried again on the next run.
        const same = placeheld.sql === real.sql && filled?.length === real.parameters.length && filled.every((v, i) => Object.is(v, real.parameters[i]));
        if (!same) compiled = undefined;
      }
      return db.executeQuery(real);
    },
    async executeTakeFirst(db: Kysely<Database>, args: A): Promise<O | undefined> {
      return (await statement.execute(db, args)).rows[0];
    },
  };
  return statement;
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
