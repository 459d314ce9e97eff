import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES, SCOPES, cachedUnitNames, type Db } from '@yuqing/shared';
import { isCoordinator, problemResponses, reachOf } from '@yuqing/http-kit';

const MeSchema = z.object({
  /** The key's id; a person's key acts as the person. */
  id: z.string(),
  kind: z.enum(['client', 'person']),
  name: z.string(),
  personId: z.string().nullable(),
  unitId: z.string().nullable(),
  unitName: z.string().nullable(),
  roles: z.array(z.enum(ROLES)),
  scopes: z.array(z.enum(SCOPES)),
  /** Sees every incident (the office, leaders, the city's administrators). */
  bureauWide: z.boolean(),
  /** Belongs to the opinion office or the leadership group (decides tier and closing). */
  coordinator: z.boolean(),
  /** Belongs to the opinion office (records releases, acts for other units as 代办). */
  office: z.boolean(),
});

/**
 * `GET /v1/me`: who the caller is, as the access policy sees them, so the console
 * shows each person their unit's work and the steps they may take. Nothing is
 * decided here: every step is still checked by the route and the workflow.
 */
export const meRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const names = cachedUnitNames(db);
  app.get(
    '/v1/me',
    {
      onRequest: app.requireScope('reports:read'),
      schema: { tags: ['me'], summary: 'The caller: unit, roles, scopes and reach', response: { 200: MeSchema, ...problemResponses(401, 403) } },
    },
    async (request) => {
      const p = request.principal;
      const [reach, coordinator, units, unitNames] = await Promise.all([
        reachOf(app.access, p),
        isCoordinator(app.access, p),
        app.access.coordinatingUnits(),
        names(),
      ]);
      return {
        id: p.id,
        kind: p.kind,
        name: p.name,
        personId: p.personId ?? null,
        unitId: p.unitId ?? null,
        unitName: p.unitId ? (unitNames.get(p.unitId) ?? null) : null,
        roles: [...p.roles],
        scopes: [...p.scopes],
        bureauWide: reach.all,
        coordinator,
        office: p.unitId !== undefined && p.unitId === units.office,
      };
    },
  );
};
