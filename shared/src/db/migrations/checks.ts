import { sql, type Kysely } from 'kysely';

/**
 * Helpers for migrations that widen a CHECK list (event types, task kinds). The
 * lists themselves stay written out in each migration, so a migration keeps the
 * values of its day; only the SQL that applies them is shared.
 */
export const oneOf = (column: string, values: readonly string[]) => sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);

/** Replaces each `[table, constraint, column]`'s check with "column is one of values". */
export async function setChecks(
  db: Kysely<unknown>,
  columns: readonly (readonly [table: string, constraint: string, column: string])[],
  values: readonly string[],
): Promise<void> {
  for (const [table, constraint, column] of columns) {
    await sql`alter table ${sql.table(table)} drop constraint if exists ${sql.id(constraint)}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.id(constraint)} check (${oneOf(column, values)})`.execute(db);
  }
}
