import { z } from 'zod';
import { optionalText, requiredText, ROLES, SCOPES } from '@yuqing/shared';

const phone = z
  .string()
  .trim()
  .regex(/^[0-9+\-() ]{3,30}$/, 'digits, spaces and + - ( ) only');

export const PersonId = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'lower-case letters, digits, dots and dashes');

/** How to reach a person by hand; notifications go through channels (`/v1/channels`). */
export const ContactsSchema = z.strictObject({
  phone: phone.optional(),
  mobile: phone.optional(),
  email: z.email().max(200).optional(),
  /** WeCom (企业微信) user id. */
  wecom: z.string().trim().max(100).optional(),
  /** DingTalk (钉钉) user id. */
  dingtalk: z.string().trim().max(100).optional(),
});

const roles = z
  .array(z.enum(ROLES))
  .max(ROLES.length)
  .refine((r) => new Set(r).size === r.length, 'each role once');

export const CreatePersonBody = z.strictObject({
  /** Generated when omitted. */
  id: PersonId.optional(),
  unitId: requiredText(100),
  name: requiredText(100),
  title: optionalText(100).optional(),
  /** Roles in the plan (§2), e.g. `office_director`, `leader_in_charge`. */
  roles: roles.default([]),
  contacts: ContactsSchema.default({}),
  /** Standing 24-hour duty: answers for the unit whenever no roster shift covers the moment. */
  onDuty: z.boolean().default(false),
});

export const UpdatePersonBody = z
  .strictObject({
    unitId: requiredText(100).optional(),
    name: requiredText(100).optional(),
    title: optionalText(100).nullable().optional(),
    roles: roles.optional(),
    contacts: ContactsSchema.optional(),
    onDuty: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');

export const PersonParams = z.object({ id: z.string().min(1).max(100) });
export const KeyParams = PersonParams.extend({ keyId: z.string().min(1).max(200) });

export const PersonListQuery = z.strictObject({
  unit: z.string().max(100).optional(),
  role: z.enum(ROLES).optional(),
  onDuty: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(500),
});

export const PersonViewSchema = z.object({
  id: z.string(),
  unitId: z.string(),
  name: z.string(),
  title: z.string().nullable(),
  roles: z.array(z.string()),
  roleLabels: z.array(z.string()),
  onDuty: z.boolean(),
  /** Shown to directory editors, the office and the person's own unit only. */
  contacts: z.record(z.string(), z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const PersonListSchema = z.object({ items: z.array(PersonViewSchema) });

export const IssueKeyBody = z.strictObject({
  /** What the key may do; at most what the issuer holds. */
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length).default(['tasks:act', 'reports:read']),
  /** Where the key is used, e.g. "手机" or "值班电脑". */
  label: z.string().trim().max(100).optional(),
});

export const KeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  keyPrefix: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export const KeyListSchema = z.object({ items: z.array(KeyViewSchema) });
export const IssuedKeySchema = KeyViewSchema.extend({
  personId: z.string(),
  unitId: z.string(),
  /** The key itself: shown this once, only its hash is kept. */
  key: z.string(),
});
