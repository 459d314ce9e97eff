import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CHANNEL_KIND_LABELS,
  channelFieldContext,
  openChannelField,
  recordAudit,
  SecretUnreadable,
  type ChannelKind,
  type Db,
  type SealedChannelField,
  type SecretBox,
} from '@yuqing/shared';
import { actorOf, isCityAdmin, problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import { findPerson } from '../../directory/person.repository';
import { findUnit } from '../../directory/unit.repository';
import {
  channelsOfOwner,
  deleteChannel,
  findChannel,
  insertChannel,
  listChannels,
  lockOwnerChannels,
  summarize,
  updateChannel,
  type ChannelSummary,
} from '../../notifications/channel.repository';
import { targetOf, type OutboundPolicy } from '../../notifications/outbound/address-policy';
import { destinationRefusal, type Resolver } from '../../notifications/outbound/destination';
import { fieldError } from '../guards';
import {
  ChannelListQuery,
  ChannelListSchema,
  ChannelParams,
  ChannelViewSchema,
  ChannelWithSecretSchema,
  CreateChannelBody,
  UpdateChannelBody,
} from './channels.schemas';

const NoContent = z.null().describe('No Content');

function view(c: ChannelSummary) {
  return {
    id: c.id,
    unitId: c.unitId,
    personId: c.personId,
    kind: c.kind,
    kindLabel: CHANNEL_KIND_LABELS[c.kind],
    label: c.label,
    enabled: c.enabled,
    hasSecret: c.hasSecret,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** The channel as the audit log keeps it: no address, no secret. */
const auditOf = (c: ChannelSummary) => ({
  id: c.id,
  unitId: c.unitId,
  personId: c.personId,
  kind: c.kind,
  label: c.label,
  enabled: c.enabled,
  hasSecret: c.hasSecret,
});

const newSecret = () => randomBytes(32).toString('base64url');

/** What an editor is told when an address points inside: the same whatever the range, so it reveals nothing about our network. */
export const INTERNAL_ADDRESS_REFUSED = '不允许指向内网或本机地址 (private, loopback and link-local addresses are refused)';

/**
 * The address must suit the kind: an http(s) URL for webhooks and robots, an
 * e-mail address for e-mail. A URL must lead to the public internet: its host
 * may not be, or resolve to, a loopback, private, link-local, CGNAT, multicast
 * or metadata address unless NOTIFY_ALLOW_HOSTS makes an exception.
 */
async function checkAddress(kind: ChannelKind, address: string, outbound: OutboundPolicy, resolve: Resolver | undefined): Promise<void> {
  if (kind === 'email') {
    if (!z.email().safeParse(address).success) throw problems.invalid('not an e-mail address', [fieldError('body.address', 'an e-mail address')]);
    return;
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw problems.invalid('not a URL', [fieldError('body.address', 'an http(s) URL')]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw problems.invalid('not an http(s) URL', [fieldError('body.address', 'an http(s) URL')]);
  if (url.username || url.password)
    throw problems.invalid('credentials do not belong in the URL', [fieldError('body.address', 'no user:password@ in the URL')]);
  if (await destinationRefusal(targetOf(url), outbound, resolve))
    throw problems.invalid(INTERNAL_ADDRESS_REFUSED, [fieldError('body.address', 'an address on the public internet')]);
}

/** The same address written another way (`HTTPS://Host:443/x` and `https://host/x`, upper-case mailbox domains) is the same address. */
function sameAddress(kind: ChannelKind, a: string, b: string): boolean {
  if (kind === 'email') return a.trim().toLowerCase() === b.trim().toLowerCase();
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/**
 * 409 when the owner already has a channel of this kind and address: repeating a
 * request must not send everything twice. `addressOf` opens a stored (sealed)
 * address; one no configured key opens cannot be compared and is passed over.
 */
function duplicateOf(
  kind: ChannelKind,
  address: string,
  existing: readonly { id: string; kind: string; address: string }[],
  addressOf: (c: { id: string; address: string }) => string | undefined,
  except?: string,
): void {
  const twin = existing.find((c) => {
    if (c.id === except || c.kind !== kind) return false;
    const theirs = addressOf(c);
    return theirs !== undefined && sameAddress(kind, theirs, address);
  });
  if (twin) throw problems.conflict(`该渠道已存在 (a ${kind} channel with this address exists: ${twin.id})`);
}

function checkSecret(kind: ChannelKind, secret: string | null | undefined): void {
  if (secret && (kind === 'email' || kind === 'wecom'))
    throw problems.invalid(`a ${kind} channel takes no secret`, [fieldError('body.secret', `not used by ${kind}`)]);
}

/**
 * Notification channels per unit or person, as data: generic signed webhooks
 * (docs/webhooks.md), WeCom and DingTalk group robots, e-mail. Addresses and
 * secrets are written here and read only by the sender; answers show neither.
 */
export const channelRoutes: FastifyPluginAsyncZod<{ db: Db; box: SecretBox; outbound: OutboundPolicy; resolve?: Resolver }> = async (
  app,
  { db, box, outbound, resolve },
) => {
  // Addresses (a robot's URL holds its key) and secrets are sealed for their own row and field.
  const seal = (field: SealedChannelField, value: string, channelId: string) => box.seal(value, channelFieldContext(field, channelId));
  const addressOf = (c: { id: string; address: string }): string | undefined => {
    try {
      return openChannelField(box, 'address', c.address, c.id);
    } catch (err) {
      if (err instanceof SecretUnreadable) return undefined;
      throw err;
    }
  };
  const tags = ['notifications'];
  const write = app.requireScope('directory:write');

  /** The unit a channel belongs to: its own, or its person's. Its managers edit it (one access policy). */
  async function ownerUnit(owner: { unitId?: string | null; personId?: string | null }): Promise<string | undefined> {
    if (owner.unitId) return owner.unitId;
    return owner.personId ? (await findPerson(db, owner.personId))?.unitId : undefined;
  }
  async function requireChannelAccess(request: FastifyRequest, owner: { unitId?: string | null; personId?: string | null }): Promise<void> {
    const unitId = await ownerUnit(owner);
    if (unitId) await requireAccess(app.access, request.principal, 'channel.edit', { unitId });
  }

  app.get(
    '/v1/channels',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Notification channels of a unit or person',
        querystring: ChannelListQuery,
        response: { 200: ChannelListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      // Without a filter: the caller's own unit's channels (every unit's for the city's administrators).
      const unitId = q.unit ?? (q.person || isCityAdmin(request.principal) ? undefined : request.principal.unitId);
      if (!unitId && !q.person && !isCityAdmin(request.principal)) throw problems.forbidden('未指明单位:请用 unit 或 person 参数 (name the unit or person)');
      await requireChannelAccess(request, { unitId: unitId ?? null, personId: q.person ?? null });
      return { items: (await listChannels(db, { ...(unitId ? { unitId } : {}), ...(q.person ? { personId: q.person } : {}) })).map(view) };
    },
  );

  app.post(
    '/v1/channels',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Add a channel: webhook, WeCom or DingTalk robot, e-mail',
        description: 'A webhook channel is always signed: without a `secret` one is generated and shown in this answer only.',
        body: CreateChannelBody,
        response: { 201: ChannelWithSecretSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (b.unitId && !(await findUnit(db, b.unitId))) throw problems.invalid(`unknown unit ${b.unitId}`, [fieldError('body.unitId', 'no such unit')]);
      if (b.personId && !(await findPerson(db, b.personId)))
        throw problems.invalid(`unknown person ${b.personId}`, [fieldError('body.personId', 'no such person')]);
      await requireChannelAccess(request, b);
      await checkAddress(b.kind, b.address, outbound, resolve);
      checkSecret(b.kind, b.secret);
      const generated = b.kind === 'webhook' && !b.secret ? newSecret() : undefined;
      const id = `ch-${randomUUID()}`;
      const owner = b.unitId ? { unitId: b.unitId } : { personId: b.personId! };
      const row = await db.transaction().execute(async (trx) => {
        await lockOwnerChannels(trx, owner);
        duplicateOf(b.kind, b.address, await channelsOfOwner(trx, owner), addressOf);
        const secret = b.secret ?? generated;
        const created = await insertChannel(trx, {
          id,
          unitId: b.unitId ?? null,
          personId: b.personId ?? null,
          kind: b.kind,
          label: b.label ?? null,
          address: seal('address', b.address, id),
          secret: secret ? seal('secret', secret, id) : null,
          enabled: b.enabled,
        });
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          action: 'channel.created',
          entity: 'channel',
          entityId: created.id,
          after: auditOf(summarize(created)),
          requestId: request.id,
        });
        return created;
      });
      return reply.code(201).send({ ...view(summarize(row)), ...(generated ? { secret: generated } : {}) });
    },
  );

  app.patch(
    '/v1/channels/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Change a channel’s address, secret, label or state',
        params: ChannelParams,
        body: UpdateChannelBody,
        response: { 200: ChannelWithSecretSchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const before = await findChannel(db, request.params.id);
      if (!before) throw problems.notFound(`channel ${request.params.id}`);
      await requireChannelAccess(request, before);
      const kind = before.kind;
      const b = request.body;
      if (b.address !== undefined) await checkAddress(kind, b.address, outbound, resolve);
      checkSecret(kind, b.secret);
      if (kind === 'webhook' && b.secret === null) throw problems.invalid('a webhook is always signed', [fieldError('body.secret', 'rotate it instead')]);
      if (b.rotateSecret && kind !== 'webhook' && kind !== 'dingtalk')
        throw problems.invalid(`a ${kind} channel takes no secret`, [fieldError('body.rotateSecret', `not used by ${kind}`)]);
      const generated = b.rotateSecret ? newSecret() : undefined;
      const newSecretValue = generated ?? b.secret;
      const row = await db.transaction().execute(async (trx) => {
        if (b.address !== undefined) {
          const owner = before.unitId ? { unitId: before.unitId } : { personId: before.personId! };
          await lockOwnerChannels(trx, owner);
          duplicateOf(kind, b.address, await channelsOfOwner(trx, owner), addressOf, before.id);
        }
        const updated = (await updateChannel(trx, before.id, {
          ...(b.address !== undefined ? { address: seal('address', b.address, before.id) } : {}),
          ...(newSecretValue !== undefined ? { secret: newSecretValue === null ? null : seal('secret', newSecretValue, before.id) } : {}),
          ...(b.label !== undefined ? { label: b.label } : {}),
          ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
        }))!;
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          action: 'channel.updated',
          entity: 'channel',
          entityId: before.id,
          before: auditOf(summarize(before)),
          // Sealed values differ on every write: what changed is what the request asked for, against the opened address.
          after: {
            ...auditOf(summarize(updated)),
            addressChanged: b.address !== undefined && b.address !== addressOf(before),
            secretChanged: newSecretValue !== undefined && !(newSecretValue === null && before.secret === null),
          },
          requestId: request.id,
        });
        return updated;
      });
      return { ...view(summarize(row)), ...(generated ? { secret: generated } : {}) };
    },
  );

  app.delete(
    '/v1/channels/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Remove a channel; its waiting deliveries become dead letters',
        params: ChannelParams,
        response: { 204: NoContent, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const channel = await findChannel(db, request.params.id);
      if (!channel) throw problems.notFound(`channel ${request.params.id}`);
      await requireChannelAccess(request, channel);
      await db.transaction().execute(async (trx) => {
        const gone = await deleteChannel(trx, request.params.id);
        if (!gone) throw problems.notFound(`channel ${request.params.id}`);
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          action: 'channel.deleted',
          entity: 'channel',
          entityId: gone.id,
          before: auditOf(summarize(gone)),
          requestId: request.id,
        });
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/channels/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'One channel (without its address and secret)',
        params: ChannelParams,
        response: { 200: ChannelViewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await findChannel(db, request.params.id);
      if (!row) throw problems.notFound(`channel ${request.params.id}`);
      await requireChannelAccess(request, row);
      return view(summarize(row));
    },
  );
};
