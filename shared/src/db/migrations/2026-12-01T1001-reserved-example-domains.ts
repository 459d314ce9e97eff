import { sql, type Kysely } from 'kysely';

/**
 * The duty placeholders were seeded with addresses at example.cn, a domain
 * somebody owns: a channel made from them would send there. They move to
 * example.org (RFC 2606, reserved) as the seed now has it. Only the untouched
 * placeholders change: a person whose contacts were edited keeps them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    update persons set contacts = jsonb_set(contacts, '{email}', to_jsonb(replace(contacts->>'email', '@example.cn', '@example.org')))
    where id like 'duty-%' and title = '24小时值班(示例)' and contacts->>'email' = 'duty.' || unit_id || '@example.cn'
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    update persons set contacts = jsonb_set(contacts, '{email}', to_jsonb(replace(contacts->>'email', '@example.org', '@example.cn')))
    where id like 'duty-%' and title = '24小时值班(示例)' and contacts->>'email' = 'duty.' || unit_id || '@example.org'
  `.execute(db);
}
