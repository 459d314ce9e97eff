import { sql, type Kysely } from 'kysely';

/**
 * The bureau's release channels as data (plan §8(三): 重视发挥“两微一端”主渠道作用):
 * the portal website, the official Weibo, the WeChat official account and the news
 * app, seeded without addresses for the administrators to fill in. A release names
 * its channel by id; a channel is retired (`active = false`), never deleted, so
 * that the releases that named it keep its name.
 */
const KINDS = ['website', 'weibo', 'wechat', 'news_app', 'other'];

const DEFAULTS = [
  { id: 'website', name: '哈尔滨市市场监督管理局门户网站', kind: 'website' },
  { id: 'weibo', name: '哈尔滨市场监管官方微博', kind: 'weibo' },
  { id: 'wechat', name: '哈尔滨市场监管微信公众号', kind: 'wechat' },
  { id: 'news-app', name: '哈尔滨市场监管新闻客户端', kind: 'news_app' },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('release_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql.raw(`kind in (${KINDS.map((k) => `'${k}'`).join(', ')})`)))
    .addColumn('url', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await (db as Kysely<{ release_channels: { id: string; name: string; kind: string } }>)
    .insertInto('release_channels')
    .values(DEFAULTS)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('release_channels').ifExists().execute();
}
