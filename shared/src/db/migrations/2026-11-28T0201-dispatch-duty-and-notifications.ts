import { sql, type Kysely } from 'kysely';
import { dutyPlaceholders, STATION_UNITS, CITY_BUREAU_UNITS, DISTRICT_UNITS, OUTSIDE_UNITS } from '../../directory/directory.seed';

/**
 * Dispatch: notification channels per unit or person, the duty roster, deliveries
 * and their attempts; seeds placeholder stations (所) and one duty placeholder per unit.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notification_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('unit_id', 'text', (c) => c.references('units.id'))
    .addColumn('person_id', 'text', (c) => c.references('persons.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('notification_channels_one_owner', sql`(unit_id is null) <> (person_id is null)`)
    .execute();
  await db.schema.createIndex('notification_channels_by_unit').on('notification_channels').column('unit_id').execute();
  await db.schema.createIndex('notification_channels_by_person').on('notification_channels').column('person_id').execute();

  await db.schema
    .createTable('duty_shifts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('unit_id', 'text', (c) => c.notNull().references('units.id'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('duty_shifts_span', sql`ends_at > starts_at`)
    .execute();
  await db.schema.createIndex('duty_shifts_by_unit').on('duty_shifts').columns(['unit_id', 'ends_at']).execute();

  // No foreign key to the channel: the delivery log outlives a removed channel.
  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'uuid', (c) => c.notNull())
    .addColumn('tier', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('channel_kind', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('unit_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text')
    .addColumn('person_name', 'text')
    .addColumn('roles', 'jsonb', (c) => c.notNull())
    .addColumn('message', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('outcomes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_until', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('triggered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('dead_at', 'timestamptz')
    .addColumn('latency_ms', 'integer')
    .addUniqueConstraint('deliveries_event_channel', ['event_id', 'channel_id'])
    .execute();
  await sql`create index deliveries_due on deliveries (next_attempt_at) where status in ('pending', 'sending')`.execute(db);
  await db.schema.createIndex('deliveries_by_incident').on('deliveries').columns(['incident_id', 'created_at']).execute();
  await db.schema.createIndex('deliveries_by_unit').on('deliveries').columns(['unit_id', 'created_at']).execute();
  await sql`create index deliveries_dead on deliveries (dead_at) where status = 'dead'`.execute(db);

  await db.schema
    .createTable('delivery_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('ok', 'boolean', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('delivery_attempts_by_delivery').on('delivery_attempts').columns(['delivery_id', 'id']).execute();

  await db
    .insertInto('units')
    .values(STATION_UNITS.map((u) => ({ id: u.id, kind: u.kind, name: u.name, parent_id: u.parentId ?? null, district_code: u.districtCode ?? null })))
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const people = dutyPlaceholders([...CITY_BUREAU_UNITS, ...DISTRICT_UNITS, ...OUTSIDE_UNITS, ...STATION_UNITS]);
  await db
    .insertInto('persons')
    .values(
      people.map((p) => ({
        id: p.id,
        unit_id: p.unitId,
        name: p.name,
        title: p.title,
        roles: JSON.stringify(p.roles),
        contacts: JSON.stringify(p.contacts),
        on_duty: p.onDuty,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['delivery_attempts', 'deliveries', 'duty_shifts', 'notification_channels']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`delete from persons where id like 'duty-%' and title = '24小时值班(示例)'`.execute(db);
  await sql`delete from units where kind = 'station' and name like '%(示例)'`.execute(db);
}
