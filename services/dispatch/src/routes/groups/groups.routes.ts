import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DIRECTORY_GROUP_LABELS, DIRECTORY_GROUPS, recordAudit, type Db, type DirectoryGroup } from '@yuqing/shared';
import { actorOf, problemResponses, problems, requireAccess, seesGroupContacts, type Principal } from '@yuqing/http-kit';
import { memberAudit, memberView } from '../../directory/directory.views';
import {
  deleteMember,
  findMember,
  insertMember,
  listMembers,
  memberCounts,
  personInGroup,
  updateMember,
  type GroupMember,
} from '../../directory/group.repository';
import { findPerson } from '../../directory/person.repository';
import { findUnit } from '../../directory/unit.repository';
import { fieldError } from '../guards';
import {
  CreateMemberBody,
  GroupListSchema,
  GroupParams,
  MemberListQuery,
  MemberListSchema,
  MemberParams,
  MemberViewSchema,
  UpdateMemberBody,
} from './groups.schemas';

const NoContent = z.null().describe('No Content');

/** A unit named for a member must exist. */
async function requireUnit(db: Db, unitId: string | null | undefined): Promise<void> {
  if (unitId && !(await findUnit(db, unitId))) throw problems.invalid(`unknown unit ${unitId}`, [fieldError('body.unitId', 'no such unit')]);
}

/**
 * The expert pool (舆情引导专家库) and the commentator team (网评员队伍) of plan
 * §8(二): everyone with a key reads who is in them and what they know (so that
 * talking points and releases can draw on them); the opinion office and the city's
 * administrators keep them, every change audited with its actor.
 */
export const groupRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const tags = ['directory'];
  const read = app.requireScope('reports:read');
  const write = app.requireScope('directory:write');
  const audit = (p: Principal, requestId: string) => ({ actor: actorOf(p), requestId });

  async function memberOrNotFound(group: DirectoryGroup, id: string): Promise<GroupMember> {
    const m = await findMember(db, group, id);
    if (!m) throw problems.notFound(`member ${id} of ${group}`);
    return m;
  }

  app.get(
    '/v1/groups',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'The expert pool and the commentator team, with their sizes (专家库、网评员队伍)',
        response: { 200: GroupListSchema, ...problemResponses(401, 403) },
      },
    },
    async () => {
      const counts = await memberCounts(db);
      return { items: DIRECTORY_GROUPS.map((group) => ({ group, label: DIRECTORY_GROUP_LABELS[group], members: counts.get(group) ?? 0 })) };
    },
  );

  app.get(
    '/v1/groups/:group/members',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Members of a group, by topic or unit',
        params: GroupParams,
        querystring: MemberListQuery,
        response: { 200: MemberListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listMembers(db, {
        group: request.params.group,
        ...(q.topic ? { topic: q.topic } : {}),
        ...(q.unit ? { unitId: q.unit } : {}),
        limit: q.limit,
      });
      const contacts = await seesGroupContacts(app.access, request.principal);
      return { items: rows.map((m) => memberView(m, contacts)) };
    },
  );

  app.get(
    '/v1/groups/:group/members/:id',
    {
      onRequest: read,
      schema: { tags, summary: 'One member of a group', params: MemberParams, response: { 200: MemberViewSchema, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => {
      const m = await memberOrNotFound(request.params.group, request.params.id);
      return memberView(m, await seesGroupContacts(app.access, request.principal));
    },
  );

  app.post(
    '/v1/groups/:group/members',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Add a person of the directory or an outside contact to a group',
        params: GroupParams,
        body: CreateMemberBody,
        response: { 201: MemberViewSchema, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { group } = request.params;
      await requireAccess(app.access, request.principal, 'group.edit', { group });
      const b = request.body;
      if (b.personId) {
        // A person's name, title, unit and contacts are the directory's; given twice they would drift apart.
        const own = (['name', 'organisation', 'title', 'unitId', 'contacts'] as const).filter((f) => b[f] !== undefined);
        if (own.length)
          throw problems.invalid(
            '成员为本局人员时,姓名、职务、单位和联系方式以人员信息为准 (a directory person’s own fields come from the person)',
            own.map((f) => fieldError(`body.${f}`, 'comes from the person')),
          );
        if (!(await findPerson(db, b.personId))) throw problems.invalid(`unknown person ${b.personId}`, [fieldError('body.personId', 'no such person')]);
        if (await personInGroup(db, group, b.personId)) throw problems.conflict(`person ${b.personId} is already in ${group}`);
      } else if (!b.name) {
        throw problems.invalid('成员须为本局人员(personId)或外部联系人(name) (a member is a directory person or an outside contact)', [
          fieldError('body.name', 'required without personId'),
        ]);
      }
      await requireUnit(db, b.unitId);
      const id = b.id ?? `member-${randomUUID()}`;
      if (await findMember(db, group, id)) throw problems.conflict(`member ${id} exists`);
      const row = await db.transaction().execute(async (trx) => {
        await insertMember(trx, group, id, {
          personId: b.personId ?? null,
          name: b.personId ? null : (b.name ?? null),
          organisation: b.organisation ?? null,
          title: b.title ?? null,
          unitId: b.unitId ?? null,
          contacts: b.contacts ?? {},
          topics: b.topics,
          expertise: b.expertise,
          note: b.note ?? null,
        });
        const created = (await findMember(trx, group, id))!;
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'group_member.created',
          entity: 'group_member',
          entityId: id,
          after: memberAudit(created),
        });
        return created;
      });
      return reply.code(201).send(memberView(row, true));
    },
  );

  app.patch(
    '/v1/groups/:group/members/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Change a member: topics, expertise, note; an outside contact’s own fields',
        params: MemberParams,
        body: UpdateMemberBody,
        response: { 200: MemberViewSchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { group, id } = request.params;
      await requireAccess(app.access, request.principal, 'group.edit', { group });
      const before = await memberOrNotFound(group, id);
      const b = request.body;
      if (before.personId) {
        const own = (['name', 'organisation', 'title', 'unitId', 'contacts'] as const).filter((f) => b[f] !== undefined);
        if (own.length)
          throw problems.invalid(
            '成员为本局人员时,姓名、职务、单位和联系方式在人员信息中修改 (change a directory person through /v1/persons)',
            own.map((f) => fieldError(`body.${f}`, 'comes from the person')),
          );
      }
      await requireUnit(db, b.unitId);
      const row = await db.transaction().execute(async (trx) => {
        await updateMember(trx, group, id, {
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.organisation !== undefined ? { organisation: b.organisation } : {}),
          ...(b.title !== undefined ? { title: b.title } : {}),
          ...(b.unitId !== undefined ? { unitId: b.unitId } : {}),
          ...(b.contacts !== undefined ? { contacts: b.contacts } : {}),
          ...(b.topics !== undefined ? { topics: b.topics } : {}),
          ...(b.expertise !== undefined ? { expertise: b.expertise } : {}),
          ...(b.note !== undefined ? { note: b.note } : {}),
        });
        const updated = (await findMember(trx, group, id))!;
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'group_member.updated',
          entity: 'group_member',
          entityId: id,
          before: memberAudit(before),
          after: memberAudit(updated),
        });
        return updated;
      });
      return memberView(row, true);
    },
  );

  app.delete(
    '/v1/groups/:group/members/:id',
    {
      onRequest: write,
      schema: { tags, summary: 'Remove a member from a group', params: MemberParams, response: { 204: NoContent, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const { group, id } = request.params;
      await requireAccess(app.access, request.principal, 'group.edit', { group });
      const before = await memberOrNotFound(group, id);
      await db.transaction().execute(async (trx) => {
        if (!(await deleteMember(trx, group, id))) throw problems.notFound(`member ${id} of ${group}`);
        await recordAudit(trx, {
          ...audit(request.principal, request.id),
          action: 'group_member.deleted',
          entity: 'group_member',
          entityId: id,
          before: memberAudit(before),
        });
      });
      return reply.code(204).send(null);
    },
  );
};
