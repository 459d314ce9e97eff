import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DIRECTORY_GAP_LABELS, informationOfficerGaps, UNIT_KIND_LABELS, type Db } from '@yuqing/shared';
import { problemResponses, requireAccess } from '@yuqing/http-kit';
import { DirectoryGapsSchema } from './directory.schemas';

/**
 * What the directory is missing for the plan to reach people: for now, the member
 * units that have named no information officer (舆情信息员, plan §2(一)), whose
 * warnings then reach only whoever is on duty. For the office to chase.
 */
export const directoryRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/directory/gaps',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['directory'],
        summary: 'Units missing what the plan requires of them: an information officer (目录缺项)',
        response: { 200: DirectoryGapsSchema, ...problemResponses(401, 403) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'bureau.view', {});
      const gaps = await informationOfficerGaps(db);
      return {
        items: gaps.map((g) => ({
          unitId: g.unitId,
          unitName: g.unitName,
          unitKind: g.unitKind,
          unitKindLabel: UNIT_KIND_LABELS[g.unitKind],
          gaps: [{ gap: 'information_officer' as const, label: DIRECTORY_GAP_LABELS.information_officer }],
        })),
      };
    },
  );
};
