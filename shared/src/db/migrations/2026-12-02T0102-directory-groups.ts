import { sql, type Kysely } from 'kysely';

/**
 * The expert pool (舆情引导专家库) and the commentator team (网评员队伍) of plan
 * §8(二) as directory groups. A member is a person of the directory, or an outside
 * contact with a name, organisation and contacts; each with the lines of business
 * (topics) and fields of expertise the office draws on.
 */
const GROUPS = ['expert_pool', 'commentator_team'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('group_members')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('group', 'text', (c) => c.notNull().check(sql.raw(`"group" in (${GROUPS.map((g) => `'${g}'`).join(', ')})`)))
    .addColumn('person_id', 'text', (c) => c.references('persons.id').onDelete('cascade'))
    // An outside contact's own fields; a person's come from the person.
    .addColumn('name', 'text')
    .addColumn('organisation', 'text')
    .addColumn('title', 'text')
    .addColumn('unit_id', 'text', (c) => c.references('units.id'))
    .addColumn('contacts', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('topics', 'jsonb', (c) =>
      c
        .notNull()
        .defaultTo(sql`'[]'::jsonb`)
        .check(sql`jsonb_typeof(topics) = 'array'`),
    )
    .addColumn('expertise', 'jsonb', (c) =>
      c
        .notNull()
        .defaultTo(sql`'[]'::jsonb`)
        .check(sql`jsonb_typeof(expertise) = 'array'`),
    )
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('group_members_person_or_contact', sql`(person_id is null) <> (name is null)`)
    .execute();
  await sql`create unique index group_members_person_once on group_members ("group", person_id) where person_id is not null`.execute(db);
  await db.schema.createIndex('group_members_by_group').on('group_members').columns(['group', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('group_members').ifExists().execute();
}
