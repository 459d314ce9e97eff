import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiClient, recordAudit, type Db } from '@yuqing/shared';
import { actorOf, problemResponses, problems, requireAccess, seesContactsOf, type Principal } from '@yuqing/http-kit';
import { personAudit, personView } from '../../directory/directory.views';
import {
  deletePerson,
  findPerson,
  insertPerson,
  listPersonKeys,
  listPersons,
  moveKeysToUnit,
  revokePersonKey,
  updatePerson,
  type PersonKey,
} from '../../directory/person.repository';
import { findUnit } from '../../directory/unit.repository';
import { fieldError } from '../guards';
import {
  CreatePersonBody,
  IssuedKeySchema,
  IssueKeyBody,
  KeyListSchema,
  KeyParams,
  KeyViewSchema,
  PersonListQuery,
  PersonListSchema,
  PersonParams,
  PersonViewSchema,
  UpdatePersonBody,
} from './persons.schemas';

const NoContent = z.null().describe('No Content');

function keyView(k: PersonKey) {
  return {
    id: k.id,
    name: k.name,
    keyPrefix: k.keyPrefix,
    scopes: k.scopes,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  };
}

async function requireUnit(db: Db, unitId: string): Promise<void> {
  if (!(await findUnit(db, unitId))) throw problems.invalid(`unknown unit ${unitId}`, [fieldError('body.unitId', 'no such unit')]);
}

/**
 * People and their roles in the plan, contacts and standing duty, and their
 * personal API keys: a person acts through their own key, so every step they take
 * is recorded against them, their unit and their roles.
 */
export const personRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const tags = ['directory'];
  const write = app.requireScope('directory:write');
  const audit = (p: Principal, requestId: string) => ({ actor: actorOf(p), requestId });

  app.get(
    '/v1/persons',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags,
        summary: 'People, by unit, role or duty',
        querystring: PersonListQuery,
        response: { 200: PersonListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listPersons(db, {
        ...(q.unit ? { unitId: q.unit } : {}),
        ...(q.role ? { role: q.role } : {}),
        ...(q.onDuty !== undefined ? { onDuty: q.onDuty } : {}),
        limit: q.limit,
      });
      const sees = new Map<string, boolean>();
      for (const unitId of new Set(rows.map((r) => r.unitId))) sees.set(unitId, await seesContactsOf(app.access, request.principal, unitId));
      return { items: rows.map((p) => personView(p, sees.get(p.unitId) ?? false)) };
    },
  );

  app.get(
    '/v1/persons/:id',
    {
      onRequest: app.requireScope('reports:read'),
      schema: { tags, summary: 'One person', params: PersonParams, response: { 200: PersonViewSchema, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => {
      const person = await findPerson(db, request.params.id);
      if (!person) throw problems.notFound(`person ${request.params.id}`);
      return personView(person, await seesContactsOf(app.access, request.principal, person.unitId));
    },
  );

  app.post(
    '/v1/persons',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Add a person to a unit',
        body: CreatePersonBody,
        response: { 201: PersonViewSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      await requireUnit(db, b.unitId);
      await requireAccess(app.access, request.principal, 'person.edit', { unitId: b.unitId, roles: b.roles });
      const id = b.id ?? `person-${randomUUID()}`;
      if (await findPerson(db, id)) throw problems.conflict(`person ${id} exists`);
      const row = await db.transaction().execute(async (trx) => {
        const created = await insertPerson(trx, id, {
          unitId: b.unitId,
          name: b.name,
          title: b.title ?? null,
          roles: b.roles,
          contacts: b.contacts,
          onDuty: b.onDuty,
        });
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'person.created',
          entity: 'person',
          entityId: id,
          after: personAudit(created),
        });
        return created;
      });
      return reply.code(201).send(personView(row, true));
    },
  );

  app.patch(
    '/v1/persons/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Change a person: unit, roles, contacts, standing duty',
        params: PersonParams,
        body: UpdatePersonBody,
        response: { 200: PersonViewSchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const before = await findPerson(db, request.params.id);
      if (!before) throw problems.notFound(`person ${request.params.id}`);
      const b = request.body;
      if (b.unitId) await requireUnit(db, b.unitId);
      const held = before.roles;
      const after = b.roles ?? held;
      // Changing roles grants the added ones and takes the removed ones: both must be the editor's to give.
      const changed = [...after.filter((r) => !held.includes(r)), ...held.filter((r) => !after.includes(r))];
      await requireAccess(app.access, request.principal, 'person.edit', { unitId: before.unitId, roles: changed });
      // Moving a person brings them, with their roles, into the other unit.
      if (b.unitId && b.unitId !== before.unitId) await requireAccess(app.access, request.principal, 'person.edit', { unitId: b.unitId, roles: after });
      const row = await db.transaction().execute(async (trx) => {
        const updated = (await updatePerson(trx, before.id, {
          ...(b.unitId ? { unitId: b.unitId } : {}),
          ...(b.name ? { name: b.name } : {}),
          ...(b.title !== undefined ? { title: b.title } : {}),
          ...(b.roles ? { roles: b.roles } : {}),
          ...(b.contacts ? { contacts: b.contacts } : {}),
          ...(b.onDuty !== undefined ? { onDuty: b.onDuty } : {}),
        }))!;
        if (b.unitId && b.unitId !== before.unitId) await moveKeysToUnit(trx, before.id, b.unitId);
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'person.updated',
          entity: 'person',
          entityId: before.id,
          before: personAudit(before),
          after: personAudit(updated),
        });
        return updated;
      });
      return personView(row, true);
    },
  );

  app.delete(
    '/v1/persons/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Remove a person: their keys are revoked, their channels and shifts removed',
        params: PersonParams,
        response: { 204: NoContent, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const person = await findPerson(db, request.params.id);
      if (!person) throw problems.notFound(`person ${request.params.id}`);
      await requireAccess(app.access, request.principal, 'person.edit', { unitId: person.unitId, roles: person.roles });
      await db.transaction().execute(async (trx) => {
        const gone = await deletePerson(trx, request.params.id);
        if (!gone) throw problems.notFound(`person ${request.params.id}`);
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'person.deleted',
          entity: 'person',
          entityId: gone.id,
          before: personAudit(gone),
        });
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/persons/:id/keys',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'A person’s API keys (never the keys themselves)',
        params: PersonParams,
        response: { 200: KeyListSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const person = await findPerson(db, request.params.id);
      if (!person) throw problems.notFound(`person ${request.params.id}`);
      await requireAccess(app.access, request.principal, 'key.issue', { unitId: person.unitId, scopes: [] });
      return { items: (await listPersonKeys(db, request.params.id)).map(keyView) };
    },
  );

  app.post(
    '/v1/persons/:id/keys',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Issue a personal API key; the answer shows it once',
        description:
          'The key acts as the person: their unit and roles go with every step. It holds at most the scopes of the issuer; only its SHA-256 is stored.',
        params: PersonParams,
        body: IssueKeyBody,
        response: { 201: IssuedKeySchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const person = await findPerson(db, request.params.id);
      if (!person) throw problems.notFound(`person ${request.params.id}`);
      const scopes = [...new Set(request.body.scopes)];
      await requireAccess(app.access, p, 'key.issue', { unitId: person.unitId, scopes, roles: person.roles });
      const keyId = `key-${person.id}-${randomBytes(4).toString('hex')}`;
      const name = `${person.name}${request.body.label ? `(${request.body.label})` : ''}`;
      const { key, row } = await db.transaction().execute(async (trx) => {
        const issued = await createApiClient(trx, { id: keyId, name, scopes, unitId: person.unitId, personId: person.id });
        const stored = (await listPersonKeys(trx, person.id)).find((k) => k.id === keyId)!;
        await recordAudit(trx, {
          ...audit(p, request.id),
          action: 'person.key_issued',
          entity: 'api_client',
          entityId: keyId,
          after: { personId: person.id, unitId: person.unitId, scopes, keyPrefix: stored.keyPrefix },
        });
        return { key: issued, row: stored };
      });
      return reply.code(201).send({ ...keyView(row), personId: person.id, unitId: person.unitId, key });
    },
  );

  app.delete(
    '/v1/persons/:id/keys/:keyId',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Revoke a personal key (effective within 10 s everywhere)',
        params: KeyParams,
        response: { 200: KeyViewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const person = await findPerson(db, request.params.id);
      if (!person) throw problems.notFound(`active key ${request.params.keyId} of ${request.params.id}`);
      await requireAccess(app.access, request.principal, 'key.issue', { unitId: person.unitId, scopes: [] });
      const row = await db.transaction().execute(async (trx) => {
        const revoked = await revokePersonKey(trx, request.params.id, request.params.keyId);
        if (!revoked) throw problems.notFound(`active key ${request.params.keyId} of ${request.params.id}`);
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'person.key_revoked',
          entity: 'api_client',
          entityId: revoked.id,
          after: { personId: request.params.id },
        });
        return revoked;
      });
      return keyView(row);
    },
  );
};
