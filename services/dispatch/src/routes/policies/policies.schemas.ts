import { z } from 'zod';
import { optionalText, PolicyScopeSchema } from '@yuqing/shared';

export const ScopeParams = z.object({
  /** `city`, or a district code for that district's local plan. */
  scope: PolicyScopeSchema,
});

export const VersionQuery = z.strictObject({ version: z.coerce.number().int().min(1).optional() });

export const PublishBody = z.strictObject({
  /** The version this edit started from; publishing fails with 409 if another was published since. */
  baseVersion: z.number().int().min(0),
  note: optionalText(1_000).optional(),
  /** A full policy for `city`; for a district, overrides of deadlines, chains and mandatory flags. */
  document: z.unknown(),
});

export const PolicyViewSchema = z.object({
  scope: z.string(),
  version: z.number(),
  note: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  document: z.unknown(),
});

export const PolicyVersionsSchema = z.object({
  items: z.array(z.object({ scope: z.string(), version: z.number(), note: z.string().nullable(), createdBy: z.string(), createdAt: z.string() })),
});
