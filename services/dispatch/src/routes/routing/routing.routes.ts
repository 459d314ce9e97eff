import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  DISTRICT_CODES,
  DISTRICTS,
  isDistrictCode,
  isRole,
  isTopic,
  recordAudit,
  ROLE_LABELS,
  toDistrictCode,
  TOPIC_LABELS,
  TOPICS,
  type Db,
} from '@yuqing/shared';
import { actorOf, problemResponses, problems, requireAccess, type FieldError } from '@yuqing/http-kit';
import { listRules, replaceRules, upsertRule, type RoutingRule, type RuleKind } from '../../directory/routing.repository';
import { fieldError } from '../guards';
import { ROUTED_ROLES, RoutingDocument, RoutingViewSchema, RuleBody, RuleParams } from './routing.schemas';

/** Which kinds of unit each kind of rule may send incidents to. */
const TARGET_KINDS: Record<RuleKind, readonly string[] | undefined> = {
  topic: ['department', 'affiliated', 'office'],
  district: ['district_bureau'],
  role: undefined,
};

function label(kind: RuleKind, match: string): string {
  if (kind === 'topic') return isTopic(match) ? TOPIC_LABELS[match] : match;
  if (kind === 'district') return isDistrictCode(match) ? DISTRICTS[match] : match;
  return isRole(match) ? ROLE_LABELS[match] : match;
}

function view(rules: readonly RoutingRule[]) {
  const of = (kind: RuleKind) =>
    rules
      .filter((r) => r.kind === kind)
      .map((r) => ({ match: r.match, label: label(kind, r.match), unitId: r.unitId, unitName: r.unitName, updatedAt: r.updatedAt.toISOString() }));
  return { topics: of('topic'), districts: of('district'), roles: of('role') };
}

/** A plain map of the rules, as the audit log keeps them. */
function asMap(rules: readonly { kind: string; match: string; unitId: string }[]): Record<string, string> {
  return Object.fromEntries(rules.map((r) => [`${r.kind}:${r.match}`, r.unitId]).sort(([a], [b]) => a!.localeCompare(b!)));
}

/** Checks that every rule points at an existing unit of a fitting kind; answers the field errors. */
async function targetProblems(db: Db, rules: readonly { kind: RuleKind; match: string; unitId: string; field: string }[]): Promise<FieldError[]> {
  const units = new Map((await db.selectFrom('units').select(['id', 'kind']).execute()).map((u) => [u.id, u.kind]));
  const errors: FieldError[] = [];
  for (const r of rules) {
    const kind = units.get(r.unitId);
    if (!kind) errors.push(fieldError(r.field, `no such unit ${r.unitId}`));
    else if (TARGET_KINDS[r.kind] && !TARGET_KINDS[r.kind]!.includes(kind))
      errors.push(fieldError(r.field, `${r.unitId} is a ${kind}; a ${r.kind} rule needs ${TARGET_KINDS[r.kind]!.join(' or ')}`));
  }
  return errors;
}

/**
 * Routing as editable rules: topic → responsible department, district → district
 * bureau, role → unit. A workflow reads them when its incident starts, so an edit
 * applies to new incidents; one already running keeps its units.
 */
export const routingRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const tags = ['routing'];
  const write = app.requireScope('directory:write');

  app.get(
    '/v1/routing',
    {
      onRequest: app.requireScope('reports:read'),
      schema: { tags, summary: 'The routing rules (转办规则)', response: { 200: RoutingViewSchema, ...problemResponses(401, 403) } },
    },
    async () => view(await listRules(db)),
  );

  app.put(
    '/v1/routing',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Replace the whole rule set',
        description:
          'Every topic and every district must be routed, and the opinion office; targets must exist and fit (a topic to a department, affiliated unit or the office; a district to a district bureau). 422 names each bad field.',
        body: RoutingDocument,
        response: { 200: RoutingViewSchema, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'routing.edit', {});
      const b = request.body;
      const rules = [
        ...TOPICS.map((t) => ({ kind: 'topic' as const, match: t, unitId: b.topics[t], field: `body.topics.${t}` })),
        ...DISTRICT_CODES.map((d) => ({ kind: 'district' as const, match: d, unitId: b.districts[d]!, field: `body.districts.${d}` })),
        ...Object.entries(b.roles).map(([role, unitId]) => ({ kind: 'role' as const, match: role, unitId: unitId, field: `body.roles.${role}` })),
      ];
      const errors = await targetProblems(db, rules);
      if (errors.length) throw problems.invalid('invalid routing rules', errors);
      await db.transaction().execute(async (trx) => {
        const before = await listRules(trx);
        await replaceRules(
          trx,
          rules.map(({ kind, match, unitId }) => ({ kind, match, unitId })),
        );
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          action: 'routing.replaced',
          entity: 'routing',
          entityId: 'rules',
          before: asMap(before),
          after: asMap(rules),
          requestId: request.id,
        });
      });
      return view(await listRules(db));
    },
  );

  app.put(
    '/v1/routing/:kind/:match',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Route one topic, district or role to a unit',
        description: 'e.g. `PUT /v1/routing/topic/food_safety {"unitId":"dept-food-safety"}`; a district by code or name.',
        params: RuleParams,
        body: RuleBody,
        response: { 200: RoutingViewSchema, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'routing.edit', {});
      const { kind } = request.params;
      let match = request.params.match;
      if (kind === 'topic' && !(TOPICS as readonly string[]).includes(match))
        throw problems.invalid(`unknown topic ${match}`, [fieldError('params.match', `one of ${TOPICS.join(', ')}`)]);
      if (kind === 'district') {
        const code = toDistrictCode(match);
        if (!code) throw problems.invalid(`unknown district ${match}`, [fieldError('params.match', 'a Harbin district code or name')]);
        match = code;
      }
      if (kind === 'role' && !(ROUTED_ROLES as readonly string[]).includes(match)) {
        throw problems.invalid(`role ${match} is not routed by rule`, [
          fieldError('params.match', `one of ${ROUTED_ROLES.join(', ')} (departments and district bureaus follow topic and district)`),
        ]);
      }
      const errors = await targetProblems(db, [{ kind, match, unitId: request.body.unitId, field: 'body.unitId' }]);
      if (errors.length) throw problems.invalid('invalid routing rule', errors);
      await db.transaction().execute(async (trx) => {
        const before = (await listRules(trx)).find((r) => r.kind === kind && r.match === match);
        await upsertRule(trx, { kind, match, unitId: request.body.unitId });
        await recordAudit(trx, {
          actor: actorOf(request.principal),
          action: 'routing.updated',
          entity: 'routing',
          entityId: `${kind}:${match}`,
          before: before ? { unitId: before.unitId } : null,
          after: { unitId: request.body.unitId },
          requestId: request.id,
        });
      });
      return view(await listRules(db));
    },
  );
};
