import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  DistrictOverrideSchema,
  districtOverrideProblems,
  findPolicy,
  listPolicyVersions,
  PolicyDocumentSchema,
  publishPolicy,
  PolicyVersionConflict,
  type Db,
  type DistrictOverride,
  type PolicyDocument,
  type PolicyRow,
} from '@yuqing/shared';
import { actorOf, problemResponses, problems, requireAccess, zodFieldErrors } from '@yuqing/http-kit';
import { PolicyVersionsSchema, PolicyViewSchema, PublishBody, ScopeParams, VersionQuery } from './policies.schemas';

function view(row: PolicyRow) {
  return { scope: row.scope, version: row.version, note: row.note, createdBy: row.createdBy, createdAt: row.createdAt.toISOString(), document: row.document };
}

/**
 * The escalation policy as versioned data: read any version, publish a new one.
 * Running incidents keep the version they snapshotted; new incidents take the newest.
 */
export const policyRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const tags = ['policies'];

  app.get(
    '/v1/policies',
    {
      onRequest: app.requireScope('reports:read'),
      schema: { tags, summary: 'Every policy version, per scope', response: { 200: PolicyVersionsSchema, ...problemResponses(401, 403) } },
    },
    async () => ({ items: (await listPolicyVersions(db)).map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) }),
  );

  app.get(
    '/v1/policies/:scope',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags,
        summary: 'The newest (or a given) version of a policy scope',
        params: ScopeParams,
        querystring: VersionQuery,
        response: { 200: PolicyViewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await findPolicy(db, request.params.scope, request.query.version);
      if (!row) throw problems.notFound(`policy ${request.params.scope}${request.query.version ? `@${request.query.version}` : ''}`);
      return view(row);
    },
  );

  app.put(
    '/v1/policies/:scope',
    {
      onRequest: app.requireScope('policies:write'),
      schema: {
        tags,
        summary: 'Publish a new version of the city policy or of a district’s local plan',
        description: 'Validated in full; 422 names every bad field. 409 when `baseVersion` is not the newest version (someone published meanwhile).',
        params: ScopeParams,
        body: PublishBody,
        response: { 201: PolicyViewSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { scope } = request.params;
      await requireAccess(app.access, request.principal, 'policy.publish', { scope });
      let document: PolicyDocument | DistrictOverride;
      if (scope === 'city') {
        const parsed = PolicyDocumentSchema.safeParse(request.body.document);
        if (!parsed.success) throw problems.invalid('invalid policy', zodFieldErrors(parsed.error, ['body', 'document']));
        document = parsed.data;
      } else {
        const parsed = DistrictOverrideSchema.safeParse(request.body.document);
        if (!parsed.success) throw problems.invalid('invalid district plan', zodFieldErrors(parsed.error, ['body', 'document']));
        const city = await findPolicy(db, 'city');
        const cityDoc = PolicyDocumentSchema.parse(city!.document);
        const bad = districtOverrideProblems(cityDoc, parsed.data);
        if (bad.length)
          throw problems.invalid(
            'the district plan adjusts tasks the city policy does not have',
            bad.map((b) => ({ field: ['body', 'document', ...b.path].join('.'), pointer: `/body/document/${b.path.join('/')}`, message: b.message })),
          );
        document = parsed.data;
      }
      try {
        const row = await publishPolicy(db, {
          scope,
          document,
          ...(request.body.note ? { note: request.body.note } : {}),
          baseVersion: request.body.baseVersion,
          actor: actorOf(request.principal),
          requestId: request.id,
        });
        return reply.code(201).send(view(row));
      } catch (err) {
        if (err instanceof PolicyVersionConflict)
          throw problems.conflict(`策略已有新版本 ${err.latest},请基于最新版本修改 (policy ${scope} is at version ${err.latest})`);
        throw err;
      }
    },
  );
};
