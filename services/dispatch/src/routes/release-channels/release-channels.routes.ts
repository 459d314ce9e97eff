import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  findReleaseChannel,
  insertReleaseChannel,
  listReleaseChannels,
  recordAudit,
  RELEASE_CHANNEL_KIND_LABELS,
  updateReleaseChannel,
  type Db,
  type ReleaseChannelRow,
} from '@yuqing/shared';
import { actorOf, problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import {
  CreateReleaseChannelBody,
  ReleaseChannelListQuery,
  ReleaseChannelListSchema,
  ReleaseChannelParams,
  ReleaseChannelViewSchema,
  UpdateReleaseChannelBody,
} from './release-channels.schemas';

function view(c: ReleaseChannelRow) {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    kindLabel: RELEASE_CHANNEL_KIND_LABELS[c.kind],
    url: c.url,
    active: c.active,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

const auditView = ({ id, name, kind, url, active }: ReleaseChannelRow) => ({ id, name, kind, url, active });

/**
 * The bureau's release channels (两微一端, plan §8(三)) as data: every key reads
 * them (a release names one by id), the city's administrators add, change and
 * retire them. Not to be confused with `/v1/channels`, how notifications reach units.
 */
export const releaseChannelRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const tags = ['directory'];
  const write = app.requireScope('directory:write');

  app.get(
    '/v1/release-channels',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags,
        summary: 'The bureau’s release channels: website, Weibo, WeChat, news app (发布渠道、两微一端)',
        querystring: ReleaseChannelListQuery,
        response: { 200: ReleaseChannelListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const rows = await listReleaseChannels(db, { activeOnly: request.query.active === true });
      return { items: rows.filter((c) => request.query.active !== false || !c.active).map(view) };
    },
  );

  app.get(
    '/v1/release-channels/:id',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags,
        summary: 'One release channel',
        params: ReleaseChannelParams,
        response: { 200: ReleaseChannelViewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await findReleaseChannel(db, request.params.id);
      if (!row) throw problems.notFound(`release channel ${request.params.id}`);
      return view(row);
    },
  );

  app.post(
    '/v1/release-channels',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Add a release channel (administrators)',
        body: CreateReleaseChannelBody,
        response: { 201: ReleaseChannelViewSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'release_channel.edit', {});
      const b = request.body;
      if (await findReleaseChannel(db, b.id)) throw problems.conflict(`release channel ${b.id} exists`);
      const row = await db.transaction().execute(async (trx) => {
        const created = await insertReleaseChannel(trx, { id: b.id, name: b.name, kind: b.kind, url: b.url ?? null });
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          requestId: request.id,
          action: 'release_channel.created',
          entity: 'release_channel',
          entityId: created.id,
          after: auditView(created),
        });
        return created;
      });
      return reply.code(201).send(view(row));
    },
  );

  app.patch(
    '/v1/release-channels/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Rename, re-address or retire a release channel (administrators)',
        params: ReleaseChannelParams,
        body: UpdateReleaseChannelBody,
        response: { 200: ReleaseChannelViewSchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'release_channel.edit', {});
      const before = await findReleaseChannel(db, request.params.id);
      if (!before) throw problems.notFound(`release channel ${request.params.id}`);
      const b = request.body;
      const row = await db.transaction().execute(async (trx) => {
        const updated = (await updateReleaseChannel(trx, before.id, {
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.kind !== undefined ? { kind: b.kind } : {}),
          ...(b.url !== undefined ? { url: b.url } : {}),
          ...(b.active !== undefined ? { active: b.active } : {}),
        }))!;
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          requestId: request.id,
          action: 'release_channel.updated',
          entity: 'release_channel',
          entityId: before.id,
          before: auditView(before),
          after: auditView(updated),
        });
        return updated;
      });
      return view(row);
    },
  );
};
