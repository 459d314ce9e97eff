import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAudit, type Db, type UnitRow } from '@yuqing/shared';
import { actorOf, problemResponses, problems, requireAccess, seesContactsOf, type Principal } from '@yuqing/http-kit';
import { onDutyView, personView, shiftView, unitView } from '../../directory/directory.views';
import { deleteShift, insertShift, onDutyNow, upcomingShifts } from '../../directory/duty.repository';
import { findPerson, listPersons } from '../../directory/person.repository';
import { deleteUnit, findUnit, insertUnit, listUnits, unitReferences, updateUnit } from '../../directory/unit.repository';
import { fieldError } from '../guards';
import {
  CreateUnitBody,
  DutySchema,
  ShiftBody,
  ShiftParams,
  ShiftViewSchema,
  UnitDetailSchema,
  UnitListQuery,
  UnitListSchema,
  UnitParams,
  UnitViewSchema,
  UpdateUnitBody,
} from './units.schemas';

const NoContent = z.null().describe('No Content');

const audit = (p: Principal, requestId: string) => ({ actor: actorOf(p), requestId });

/**
 * Checks where a unit sits: its parent exists and is not itself or below it; a
 * station (所) hangs under a district bureau and takes its district; a district
 * bureau names its district.
 */
async function checkPlacement(db: Db, unit: Pick<UnitRow, 'id' | 'kind' | 'parentId' | 'districtCode'>): Promise<Pick<UnitRow, 'districtCode'>> {
  let districtCode = unit.districtCode;
  if (unit.parentId) {
    if (unit.parentId === unit.id) throw problems.invalid('a unit cannot be its own parent', [fieldError('body.parentId', 'is the unit itself')]);
    const parent = await findUnit(db, unit.parentId);
    if (!parent) throw problems.invalid(`unknown unit ${unit.parentId}`, [fieldError('body.parentId', 'no such unit')]);
    // Walk up from the new parent: meeting the unit itself would make a cycle.
    for (let up: UnitRow | undefined = parent, depth = 0; up?.parentId && depth < 20; depth++) {
      if (up.parentId === unit.id) throw problems.invalid('the parent lies below this unit', [fieldError('body.parentId', 'would make a cycle')]);
      up = await findUnit(db, up.parentId);
    }
    if (unit.kind === 'station') {
      if (parent.kind !== 'district_bureau')
        throw problems.invalid('a station belongs to a district bureau', [fieldError('body.parentId', 'not a district bureau')]);
      if (districtCode && districtCode !== parent.districtCode)
        throw problems.invalid('a station lies in its bureau’s district', [fieldError('body.districtCode', `must be ${parent.districtCode}`)]);
      districtCode = parent.districtCode;
    }
  } else if (unit.kind === 'station') {
    throw problems.invalid('a station belongs to a district bureau', [fieldError('body.parentId', 'required for a station')]);
  }
  if (unit.kind === 'district_bureau' && !districtCode)
    throw problems.invalid('a district bureau names its district', [fieldError('body.districtCode', 'required for a district bureau')]);
  return { districtCode };
}

/**
 * The bureau's units as data (plan §2, §8): the leadership group, the office,
 * departments, affiliated units, the 18 district/county bureaus and their stations,
 * and outside bodies; who is on duty in each, and the duty roster.
 */
export const unitRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const tags = ['directory'];
  const read = app.requireScope('reports:read');
  const write = app.requireScope('directory:write');

  app.get(
    '/v1/units',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Units of the bureau and outside bodies (单位)',
        querystring: UnitListQuery,
        response: { 200: UnitListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listUnits(db, {
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.district ? { districtCode: q.district } : {}),
        ...(q.parent ? { parentId: q.parent } : {}),
      });
      return { items: rows.map(unitView) };
    },
  );

  app.get(
    '/v1/units/:id',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'A unit with its people, its stations and who is on duty now',
        params: UnitParams,
        response: { 200: UnitDetailSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const unit = await findUnit(db, request.params.id);
      if (!unit) throw problems.notFound(`unit ${request.params.id}`);
      const [children, persons, onDuty] = await Promise.all([
        listUnits(db, { parentId: unit.id }),
        listPersons(db, { unitId: unit.id, limit: 1_000 }),
        onDutyNow(db, unit.id),
      ]);
      const contacts = await seesContactsOf(app.access, request.principal, unit.id);
      return { ...unitView(unit), children: children.map(unitView), persons: persons.map((p) => personView(p, contacts)), onDuty: onDuty.map(onDutyView) };
    },
  );

  app.post(
    '/v1/units',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Add a unit (e.g. a station 所)',
        body: CreateUnitBody,
        response: { 201: UnitViewSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      await requireAccess(app.access, request.principal, 'unit.edit', { unitId: b.id });
      if (await findUnit(db, b.id)) throw problems.conflict(`unit ${b.id} exists`);
      const { districtCode } = await checkPlacement(db, { id: b.id, kind: b.kind, parentId: b.parentId ?? null, districtCode: b.districtCode ?? null });
      const row = await db.transaction().execute(async (trx) => {
        const created = await insertUnit(trx, { id: b.id, kind: b.kind, name: b.name, parentId: b.parentId ?? null, districtCode });
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'unit.created',
          entity: 'unit',
          entityId: created.id,
          after: unitView(created),
        });
        return created;
      });
      return reply.code(201).send(unitView(row));
    },
  );

  app.patch(
    '/v1/units/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Rename or move a unit',
        params: UnitParams,
        body: UpdateUnitBody,
        response: { 200: UnitViewSchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'unit.edit', { unitId: request.params.id });
      const before = await findUnit(db, request.params.id);
      if (!before) throw problems.notFound(`unit ${request.params.id}`);
      const b = request.body;
      const parentId = b.parentId === undefined ? before.parentId : b.parentId;
      // A station moved to another bureau takes that bureau's district unless one is given.
      const keptDistrict = before.kind === 'station' && b.parentId !== undefined ? null : before.districtCode;
      const { districtCode } = await checkPlacement(db, {
        id: before.id,
        kind: before.kind,
        parentId,
        districtCode: b.districtCode === undefined ? keptDistrict : b.districtCode,
      });
      const row = await db.transaction().execute(async (trx) => {
        const updated = (await updateUnit(trx, before.id, { ...(b.name ? { name: b.name } : {}), parentId, districtCode }))!;
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'unit.updated',
          entity: 'unit',
          entityId: before.id,
          before: unitView(before),
          after: unitView(updated),
        });
        return updated;
      });
      return unitView(row);
    },
  );

  app.delete(
    '/v1/units/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Remove a unit nothing refers to any more',
        params: UnitParams,
        response: { 204: NoContent, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'unit.edit', { unitId: request.params.id });
      const unit = await findUnit(db, request.params.id);
      if (!unit) throw problems.notFound(`unit ${request.params.id}`);
      const refs = await unitReferences(db, unit.id);
      if (Object.keys(refs).length > 0) {
        throw problems.conflict(
          `单位仍被引用,不能删除 (still referred to by ${Object.entries(refs)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')})`,
        );
      }
      await db.transaction().execute(async (trx) => {
        await deleteUnit(trx, unit.id);
        await recordAudit(trx, { ...audit(request.principal, request.id), action: 'unit.deleted', entity: 'unit', entityId: unit.id, before: unitView(unit) });
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/units/:id/duty',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Who is on duty now, and the roster ahead (24小时值班)',
        params: UnitParams,
        response: { 200: DutySchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const unit = await findUnit(db, request.params.id);
      if (!unit) throw problems.notFound(`unit ${request.params.id}`);
      const [onDuty, shifts] = await Promise.all([onDutyNow(db, unit.id), upcomingShifts(db, unit.id)]);
      return { unitId: unit.id, onDuty: onDuty.map(onDutyView), shifts: shifts.map(shiftView) };
    },
  );

  app.post(
    '/v1/units/:id/duty-shifts',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Put a person of the unit on the duty roster for a span',
        params: UnitParams,
        body: ShiftBody,
        response: { 201: ShiftViewSchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const unit = await findUnit(db, request.params.id);
      if (!unit) throw problems.notFound(`unit ${request.params.id}`);
      await requireAccess(app.access, request.principal, 'duty.edit', { unitId: unit.id });
      const b = request.body;
      const person = await findPerson(db, b.personId);
      if (!person || person.unitId !== unit.id)
        throw problems.invalid(`${b.personId} is not a person of ${unit.id}`, [fieldError('body.personId', 'not a person of this unit')]);
      if (Date.parse(b.endsAt) <= Date.now()) throw problems.invalid('the shift is over already', [fieldError('body.endsAt', 'in the past')]);
      const row = await db.transaction().execute(async (trx) => {
        const shift = await insertShift(trx, {
          unitId: unit.id,
          personId: person.id,
          startsAt: b.startsAt,
          endsAt: b.endsAt,
          note: b.note,
          createdBy: request.principal.id,
        });
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'duty_shift.created',
          entity: 'duty_shift',
          entityId: String(shift.id),
          after: shiftView(shift),
        });
        return shift;
      });
      return reply.code(201).send(shiftView({ ...row, personName: person.name }));
    },
  );

  app.delete(
    '/v1/units/:id/duty-shifts/:shiftId',
    {
      onRequest: write,
      schema: { tags, summary: 'Take a shift off the roster', params: ShiftParams, response: { 204: NoContent, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'duty.edit', { unitId: request.params.id });
      await db.transaction().execute(async (trx) => {
        const gone = await deleteShift(trx, request.params.id, request.params.shiftId);
        if (!gone) throw problems.notFound(`shift ${request.params.shiftId} of ${request.params.id}`);
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'duty_shift.deleted',
          entity: 'duty_shift',
          entityId: String(gone.id),
          before: shiftView(gone),
        });
      });
      return reply.code(204).send(null);
    },
  );
};
