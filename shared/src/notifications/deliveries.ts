import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database';
import type { Database, NotificationChannelRow } from '../db/tables';
import type { DeliverySubject, Role, Tier } from '../domain/vocabulary';
import type { EventType } from '../events/event-types';
import type { NoticeMessage, NoticeRecipient } from './notice-message';

type Executor = Db | Transaction<Database>;

/**
 * The notification deliveries (dispatch's delivery worker sends, retries and
 * dead-letters them) as every writer queues them: dispatch's planner for an
 * incident's events, the summary reports' activity for the leaders' 日报/周报.
 */

/** The queue all e-mail waits in (the one SMTP relay); every other channel is its own endpoint. */
export const SMTP_ENDPOINT = 'smtp';

export function deliveryEndpoint(channel: Pick<NotificationChannelRow, 'id' | 'kind'>): string {
  return channel.kind === 'email' ? SMTP_ENDPOINT : `channel:${channel.id}`;
}

export interface NewDelivery {
  readonly id: string;
  /** The incident's event, or `summary-report:<id>`: with the channel, what makes a delivery unique. */
  readonly eventId: string;
  readonly eventType: EventType | DeliverySubject;
  readonly incidentId: string | null;
  readonly tier: Tier | null;
  readonly summaryReportId?: string | null;
  readonly channelId: string;
  readonly channelKind: NotificationChannelRow['kind'];
  readonly endpoint: string;
  readonly unitId: string;
  readonly personId: string | null;
  readonly personName: string | null;
  readonly roles: readonly Role[];
  readonly message: NoticeMessage;
  readonly triggeredAt: string;
}

/** Queues deliveries; one per event and channel, so a replanned event adds nothing. Returns how many were new. */
export async function insertDeliveries(trx: Executor, rows: readonly NewDelivery[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await trx
    .insertInto('deliveries')
    .values(
      rows.map((r) => ({
        ...r,
        summaryReportId: r.summaryReportId ?? null,
        status: 'pending' as const,
        roles: JSON.stringify(r.roles),
        message: JSON.stringify(r.message),
      })),
    )
    .onConflict((oc) => oc.columns(['eventId', 'channelId']).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

/** Enabled channels of a unit and of some of its people, for planning deliveries. */
export async function enabledChannels(
  db: Executor,
  unitId: string,
  personIds: readonly string[],
): Promise<Pick<NotificationChannelRow, 'id' | 'kind' | 'unitId' | 'personId'>[]> {
  return db
    .selectFrom('notificationChannels')
    .select(['id', 'kind', 'unitId', 'personId'])
    .where('enabled', '=', true)
    .where((eb) => (personIds.length ? eb.or([eb('unitId', '=', unitId), eb('personId', 'in', [...personIds])]) : eb('unitId', '=', unitId)))
    .orderBy('id')
    .execute();
}

/** A channel a message goes to, with who it is for there. */
export interface RoleTarget {
  readonly channel: Pick<NotificationChannelRow, 'id' | 'kind'>;
  readonly to: NoticeRecipient;
}

/**
 * Where a message for some personal roles goes, as the planner sends an
 * incident's link to them: each role to the unit routing names for it (the
 * leadership group), that unit's channels and the personal channels of its
 * people who hold one of the roles.
 */
export async function channelsForRoles(trx: Executor, roles: readonly Role[]): Promise<RoleTarget[]> {
  if (roles.length === 0) return [];
  const rules = await trx.selectFrom('routingRules').select(['match', 'unitId']).where('kind', '=', 'role').where('match', 'in', roles).execute();
  const units = new Map<string, Role[]>();
  for (const r of rules) units.set(r.unitId, [...(units.get(r.unitId) ?? []), r.match as Role]);
  const targets: RoleTarget[] = [];
  for (const [unitId, unitRoles] of units) {
    const unit = await trx.selectFrom('units').select(['id', 'name']).where('id', '=', unitId).executeTakeFirst();
    if (!unit) continue;
    const holders = await trx
      .selectFrom('persons')
      .select(['id', 'name', 'roles'])
      .where('unitId', '=', unitId)
      .where(sql<boolean>`roles ?| ${unitRoles}::text[]`)
      .orderBy('id')
      .execute();
    const channels = await enabledChannels(
      trx,
      unitId,
      holders.map((h) => h.id),
    );
    for (const channel of channels) {
      const person = channel.personId ? holders.find((h) => h.id === channel.personId) : undefined;
      const asRoles = person ? unitRoles.filter((r) => person.roles.includes(r)) : unitRoles;
      targets.push({
        channel,
        to: { unitId, unitName: unit.name, ...(person ? { personId: person.id, personName: person.name } : {}), roles: asRoles },
      });
    }
  }
  return targets;
}
