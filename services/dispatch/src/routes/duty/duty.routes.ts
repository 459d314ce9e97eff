import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { UNIT_KIND_LABELS, type Db } from '@yuqing/shared';
import { hasAccess, problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import { onDutyView, shiftView } from '../../directory/directory.views';
import { dutyRoster } from '../../directory/duty.repository';
import { findUnit, listUnits } from '../../directory/unit.repository';
import { DutyRosterQuery, DutyRosterSchema } from './duty.schemas';

/**
 * The duty roster across units (值班表, plan §8: 24小时值班): who answers for each
 * unit now and the shifts ahead, for the office to know whom a warning reaches.
 * `/v1/units/:id/duty` is the same for one unit.
 */
export const dutyRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/duty-roster',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['directory'],
        summary: 'Who is on duty now in each unit, and the roster ahead (值班表)',
        description:
          'Every unit for the opinion office, leaders and the city’s administrators; another caller sees its own unit and its stations (or names one it manages with `unit`).',
        querystring: DutyRosterQuery,
        response: { 200: DutyRosterSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const p = request.principal;
      const q = request.query;
      const seesAll = await hasAccess(app.access, p, 'bureau.view', {});
      const unitId = q.unit ?? (seesAll ? undefined : p.unitId);
      if (!unitId && !seesAll) throw problems.forbidden('未指明单位:无单位的密钥看不到值班表 (a key without a unit sees no duty roster)');
      let units;
      if (unitId) {
        await requireAccess(app.access, p, 'unit.records', { unitId });
        const unit = await findUnit(db, unitId);
        if (!unit) throw problems.notFound(`unit ${unitId}`);
        units = [unit, ...(await listUnits(db, { parentId: unit.id }))];
      } else {
        units = await listUnits(db);
      }
      const asOf = new Date();
      const until = new Date(asOf.getTime() + q.days * 86_400_000);
      const roster = await dutyRoster(db, { ...(unitId ? { unitIds: units.map((u) => u.id) } : {}), until });
      return {
        asOf: asOf.toISOString(),
        until: until.toISOString(),
        items: units.map((u) => {
          const r = roster.get(u.id);
          return {
            unitId: u.id,
            unitName: u.name,
            unitKind: u.kind,
            unitKindLabel: UNIT_KIND_LABELS[u.kind],
            parentId: u.parentId,
            districtCode: u.districtCode,
            onDuty: (r?.onDuty ?? []).map(onDutyView),
            shifts: (r?.shifts ?? []).map(shiftView),
          };
        }),
      };
    },
  );
};
