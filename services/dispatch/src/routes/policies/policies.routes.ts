import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  DistrictOverrideSchema,
  districtOverrideProblems,
  findPolicy,
  listPolicyVersions,
  loosenedByDistrict,
  planProblems,
  resolvePolicy,
  type PlanProblem,
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
      // A stale edit is refused first: its author must see what was published meanwhile before anything else.
      const latest = (await findPolicy(db, scope))?.version ?? 0;
      if (latest !== request.body.baseVersion) throw versionConflict(scope, latest);
      const document =
        scope === 'city'
          ? cityPolicy(request.body.document)
          : districtPlan(PolicyDocumentSchema.parse((await findPolicy(db, 'city'))!.document), request.body.document);
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
        if (err instanceof PolicyVersionConflict) throw versionConflict(scope, err.latest);
        throw err;
      }
    },
  );
};

const versionConflict = (scope: string, latest: number) =>
  problems.conflict(`策略已有新版本 ${latest},请基于最新版本修改 (policy ${scope} is at version ${latest})`);

const asFields = (problemsFound: readonly PlanProblem[]) =>
  problemsFound.map((b) => ({ field: ['body', 'document', ...b.path].join('.'), pointer: `/body/document/${b.path.join('/')}`, message: b.message }));

/** A city policy: well-formed, and no looser than the plan. */
function cityPolicy(input: unknown): PolicyDocument {
  const parsed = PolicyDocumentSchema.safeParse(input);
  if (!parsed.success) throw problems.invalid('invalid policy', zodFieldErrors(parsed.error, ['body', 'document']));
  const bad = planProblems(parsed.data);
  if (bad.length) throw problems.invalid('策略不符合预案的硬性规定 (the policy loosens the plan)', asFields(bad));
  return parsed.data;
}

/** A district plan: adjusts only the city's tasks, only tightens them, and the result still meets the plan. */
function districtPlan(city: PolicyDocument, input: unknown): DistrictOverride {
  const parsed = DistrictOverrideSchema.safeParse(input);
  if (!parsed.success) throw problems.invalid('invalid district plan', zodFieldErrors(parsed.error, ['body', 'document']));
  const unknownTasks = districtOverrideProblems(city, parsed.data);
  if (unknownTasks.length) throw problems.invalid('the district plan adjusts tasks the city policy does not have', asFields(unknownTasks));
  const loosened = [
    ...loosenedByDistrict(city, parsed.data),
    ...planProblems(resolvePolicy({ version: 0, document: city }, { scope: 'district', version: 0, document: parsed.data }).document),
  ];
  if (loosened.length) throw problems.invalid('区县预案只能从严,不能放宽 (a district plan may tighten, never loosen)', asFields(loosened));
  return parsed.data;
}
