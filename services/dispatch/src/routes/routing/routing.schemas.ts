import { z } from 'zod';
import { ASSIGNEE_ROLES, DISTRICT_CODES, ROLES, STAFF_ROLES, TOPICS, type Role } from '@yuqing/shared';

const unitId = z.string().min(1).max(100);

/**
 * Roles routed to a unit by rule; the assignee roles follow the topic and the
 * district instead, and the staff roles (舆情信息员) belong to every unit's own people.
 */
export const ROUTED_ROLES = ROLES.filter((r) => !(ASSIGNEE_ROLES as readonly Role[]).includes(r) && !STAFF_ROLES.includes(r)) as [Role, ...Role[]];

/**
 * The whole rule set: every topic to its department, every district to its
 * bureau, roles to the units holding them (the opinion office at least).
 */
export const RoutingDocument = z.strictObject({
  topics: z.record(z.enum(TOPICS), unitId),
  districts: z.record(z.enum(DISTRICT_CODES as [string, ...string[]]), unitId),
  roles: z
    .partialRecord(z.enum(ROUTED_ROLES), unitId)
    .refine((r) => r.opinion_office !== undefined, { message: 'opinion_office must be routed', path: ['opinion_office'] }),
});

export const RuleParams = z.object({ kind: z.enum(['topic', 'district', 'role']), match: z.string().min(1).max(100) });
export const RuleBody = z.strictObject({ unitId });

const RuleView = z.object({ match: z.string(), label: z.string(), unitId: z.string(), unitName: z.string(), updatedAt: z.string() });
export const RoutingViewSchema = z.object({ topics: z.array(RuleView), districts: z.array(RuleView), roles: z.array(RuleView) });
