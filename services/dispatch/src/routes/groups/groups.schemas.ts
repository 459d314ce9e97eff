import { z } from 'zod';
import { DIRECTORY_GROUPS, optionalText, requiredText, TOPICS } from '@yuqing/shared';
import { ContactsSchema, PersonId } from '../persons/persons.schemas';

export const GroupParams = z.object({ group: z.enum(DIRECTORY_GROUPS) });
export const MemberParams = GroupParams.extend({ id: z.string().min(1).max(100) });

const topics = z
  .array(z.enum(TOPICS))
  .max(TOPICS.length)
  .refine((t) => new Set(t).size === t.length, 'each topic once');
/** Fields of expertise in the member's own words, e.g. 食品安全, 法律, 新闻传播. */
const expertise = z.array(requiredText(50)).max(20);

/**
 * A member is a person of the directory (`personId`: name, title and unit come from
 * the person) or an outside contact (`name`, and optionally organisation, title,
 * the unit it belongs to and contacts).
 */
export const CreateMemberBody = z.strictObject({
  /** Generated when omitted. */
  id: PersonId.optional(),
  personId: z.string().min(1).max(100).optional(),
  name: requiredText(100).optional(),
  organisation: optionalText(200).optional(),
  title: optionalText(100).optional(),
  /** For a commentator: the district bureau or station (所) of the three-level team. */
  unitId: z.string().min(1).max(100).optional(),
  contacts: ContactsSchema.optional(),
  /** The lines of business the member can speak to. */
  topics: topics.default([]),
  expertise: expertise.default([]),
  note: optionalText(2_000).optional(),
});

export const UpdateMemberBody = z
  .strictObject({
    name: requiredText(100).optional(),
    organisation: optionalText(200).nullable().optional(),
    title: optionalText(100).nullable().optional(),
    unitId: z.string().min(1).max(100).nullable().optional(),
    contacts: ContactsSchema.optional(),
    topics: topics.optional(),
    expertise: expertise.optional(),
    note: optionalText(2_000).nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');

export const MemberListQuery = z.strictObject({
  topic: z.enum(TOPICS).optional(),
  /** Members of a unit: a person's unit, or where an outside contact belongs. */
  unit: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(500),
});

export const MemberViewSchema = z.object({
  id: z.string(),
  group: z.enum(DIRECTORY_GROUPS),
  groupLabel: z.string(),
  /** `person`: a person of the directory; `contact`: an outside contact. */
  kind: z.enum(['person', 'contact']),
  personId: z.string().nullable(),
  name: z.string(),
  organisation: z.string().nullable(),
  title: z.string().nullable(),
  unitId: z.string().nullable(),
  topics: z.array(z.enum(TOPICS)),
  topicLabels: z.array(z.string()),
  expertise: z.array(z.string()),
  note: z.string().nullable(),
  /** An outside contact's contacts: shown to the office, the leadership group and the city's administrators. */
  contacts: z.record(z.string(), z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const MemberListSchema = z.object({ items: z.array(MemberViewSchema) });

export const GroupListSchema = z.object({
  items: z.array(z.object({ group: z.enum(DIRECTORY_GROUPS), label: z.string(), members: z.number() })),
});
