import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CHANNEL_KIND_LABELS, recordAudit, type ChannelKind, type Db } from '@yuqing/shared';
import { actorOf, problemResponses, problems } from '@yuqing/http-kit';
import { findPerson } from '../../directory/person.repository';
import { findUnit } from '../../directory/unit.repository';
import { deleteChannel, findChannel, insertChannel, listChannels, summarize, updateChannel, type ChannelSummary } from '../../notifications/channel.repository';
import { fieldError } from '../guards';
import { ChannelListQuery, ChannelListSchema, ChannelParams, ChannelViewSchema, ChannelWithSecretSchema, CreateChannelBody, UpdateChannelBody } from './channels.schemas';

const NoContent = z.null().describe('No Content');

function view(c: ChannelSummary) {
  return {
    id: c.id,
    unitId: c.unitId,
    personId: c.personId,
    kind: c.kind as ChannelKind,
    kindLabel: CHANNEL_KIND_LABELS[c.kind as ChannelKind] ?? c.kind,
    label: c.label,
    enabled: c.enabled,
    hasSecret: c.hasSecret,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** The channel as the audit log keeps it: no address, no secret. */
const auditOf = (c: ChannelSummary) => ({ id: c.id, unitId: c.unitId, personId: c.personId, kind: c.kind, label: c.label, enabled: c.enabled, hasSecret: c.hasSecret });

const newSecret = () => randomBytes(32).toString('base64url');

/** The address must suit the kind: an http(s) URL for webhooks and robots, an e-mail address for e-mail. */
function checkAddress(kind: ChannelKind, address: string): void {
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
  if (url.username || url.password) throw problems.invalid('credentials do not belong in the URL', [fieldError('body.address', 'no user:password@ in the URL')]);
}

function checkSecret(kind: ChannelKind, secret: string | null | undefined): void {
  if (secret && (kind === 'email' || kind === 'wecom')) throw problems.invalid(`a ${kind} channel takes no secret`, [fieldError('body.secret', `not used by ${kind}`)]);
}

/**
 * Notification channels per unit or person, as data: generic signed webhooks
 * (docs/webhooks.md), WeCom and DingTalk group robots, e-mail. Addresses and
 * secrets are written here and read only by the sender; answers show neither.
 */
export const channelRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const tags = ['notifications'];
  const write = app.requireScope('directory:write');

  app.get(
    '/v1/channels',
    { onRequest: write, schema: { tags, summary: 'Notification channels of a unit or person', querystring: ChannelListQuery, response: { 200: ChannelListSchema, ...problemResponses(400, 401, 403) } } },
    async (request) => ({ items: (await listChannels(db, { ...(request.query.unit ? { unitId: request.query.unit } : {}), ...(request.query.person ? { personId: request.query.person } : {}) })).map(view) }),
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
        response: { 201: ChannelWithSecretSchema, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (b.unitId && !(await findUnit(db, b.unitId))) throw problems.invalid(`unknown unit ${b.unitId}`, [fieldError('body.unitId', 'no such unit')]);
      if (b.personId && !(await findPerson(db, b.personId))) throw problems.invalid(`unknown person ${b.personId}`, [fieldError('body.personId', 'no such person')]);
      checkAddress(b.kind, b.address);
      checkSecret(b.kind, b.secret);
      const generated = b.kind === 'webhook' && !b.secret ? newSecret() : undefined;
      const row = await db.transaction().execute(async (trx) => {
        const created = await insertChannel(trx, {
          id: `ch-${randomUUID()}`,
          unitId: b.unitId ?? null,
          personId: b.personId ?? null,
          kind: b.kind,
          label: b.label ?? null,
          address: b.address,
          secret: b.secret ?? generated ?? null,
          enabled: b.enabled,
        });
        await recordAudit(trx, { actor: actorOf(request.principal!), action: 'channel.created', entity: 'channel', entityId: created.id, after: auditOf(summarize(created)), requestId: request.id });
        return created;
      });
      return reply.code(201).send({ ...view(summarize(row)), ...(generated ? { secret: generated } : {}) });
    },
  );

  app.patch(
    '/v1/channels/:id',
    {
      onRequest: write,
      schema: { tags, summary: 'Change a channel’s address, secret, label or state', params: ChannelParams, body: UpdateChannelBody, response: { 200: ChannelWithSecretSchema, ...problemResponses(400, 401, 403, 404, 422) } },
    },
    async (request) => {
      const before = await findChannel(db, request.params.id);
      if (!before) throw problems.notFound(`channel ${request.params.id}`);
      const kind = before.kind as ChannelKind;
      const b = request.body;
      if (b.address !== undefined) checkAddress(kind, b.address);
      checkSecret(kind, b.secret);
      if (kind === 'webhook' && b.secret === null) throw problems.invalid('a webhook is always signed', [fieldError('body.secret', 'rotate it instead')]);
      if (b.rotateSecret && kind !== 'webhook' && kind !== 'dingtalk') throw problems.invalid(`a ${kind} channel takes no secret`, [fieldError('body.rotateSecret', `not used by ${kind}`)]);
      const generated = b.rotateSecret ? newSecret() : undefined;
      const row = await db.transaction().execute(async (trx) => {
        const updated = (await updateChannel(trx, before.id, {
          ...(b.address !== undefined ? { address: b.address } : {}),
          ...(b.secret !== undefined ? { secret: b.secret } : {}),
          ...(generated ? { secret: generated } : {}),
          ...(b.label !== undefined ? { label: b.label } : {}),
          ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
        }))!;
        await recordAudit(trx, {
          actor: actorOf(request.principal!),
          action: 'channel.updated',
          entity: 'channel',
          entityId: before.id,
          before: auditOf(summarize(before)),
          after: { ...auditOf(summarize(updated)), addressChanged: b.address !== undefined && b.address !== before.address, secretChanged: updated.secret !== before.secret },
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
      schema: { tags, summary: 'Remove a channel; its waiting deliveries become dead letters', params: ChannelParams, response: { 204: NoContent, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      await db.transaction().execute(async (trx) => {
        const gone = await deleteChannel(trx, request.params.id);
        if (!gone) throw problems.notFound(`channel ${request.params.id}`);
        await recordAudit(trx, { actor: actorOf(request.principal!), action: 'channel.deleted', entity: 'channel', entityId: gone.id, before: auditOf(summarize(gone)), requestId: request.id });
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/channels/:id',
    { onRequest: write, schema: { tags, summary: 'One channel (without its address and secret)', params: ChannelParams, response: { 200: ChannelViewSchema, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => {
      const row = await findChannel(db, request.params.id);
      if (!row) throw problems.notFound(`channel ${request.params.id}`);
      return view(summarize(row));
    },
  );
};
