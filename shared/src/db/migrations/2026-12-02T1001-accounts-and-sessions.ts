import { sql, type Kysely } from 'kysely';

/**
 * People sign in (issue 14): a person's account (the scopes their sessions carry,
 * the scrypt hash of their password, the count of failed sign-ins and the lock),
 * one-time activation links (the token's hash only), sessions shared by the three
 * services (the token's hash only), and single sign-ons under way. Everything goes
 * with its person. Failed sign-ins are audit entries; the partial index lets the
 * per-address limit count them.
 */
const SCOPES = ['incidents:write', 'incidents:read', 'tasks:act', 'reports:read', 'directory:write', 'policies:write', 'admin'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('person_id', 'text', (c) => c.primaryKey().references('persons.id').onDelete('cascade'))
    .addColumn('scopes', 'jsonb', (c) => c.notNull().check(sql.raw(`jsonb_typeof(scopes) = 'array' and scopes <@ '${JSON.stringify(SCOPES)}'::jsonb`)))
    .addColumn('password_hash', 'text')
    .addColumn('password_changed_at', 'timestamptz')
    .addColumn('failed_sign_ins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('account_activations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('account_activations_person').on('account_activations').column('person_id').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('method', 'text', (c) => c.notNull().check(sql`method in ('password', 'oidc')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('address', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await sql`create index sessions_open_by_person on sessions (person_id) where revoked_at is null`.execute(db);

  await db.schema
    .createTable('oidc_logins')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await sql`create index audit_sign_in_failures_by_address on audit_log ((after ->> 'address'), at) where action = 'account.sign_in_failed'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists audit_sign_in_failures_by_address`.execute(db);
  for (const table of ['oidc_logins', 'sessions', 'account_activations', 'accounts']) await db.schema.dropTable(table).ifExists().execute();
}
