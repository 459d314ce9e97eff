import { z } from 'zod';
import { RELEASE_CHANNEL_KINDS, requiredText } from '@yuqing/shared';

export const ReleaseChannelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'lower-case letters, digits, dots and dashes');
export const ReleaseChannelParams = z.object({ id: z.string().min(1).max(100) });

const url = z.url({ protocol: /^https?$/ }).max(2_000);

export const CreateReleaseChannelBody = z.strictObject({
  id: ReleaseChannelId,
  name: requiredText(100),
  kind: z.enum(RELEASE_CHANNEL_KINDS),
  /** Where the public finds it (the site, the account's page). */
  url: url.optional(),
});

export const UpdateReleaseChannelBody = z
  .strictObject({
    name: requiredText(100).optional(),
    kind: z.enum(RELEASE_CHANNEL_KINDS).optional(),
    url: url.nullable().optional(),
    /** `false` retires the channel: releases that named it keep it, new ones may not. */
    active: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');

export const ReleaseChannelListQuery = z.strictObject({
  /** `true`: only the channels a release may name now. */
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});

export const ReleaseChannelViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(RELEASE_CHANNEL_KINDS),
  kindLabel: z.string(),
  url: z.string().nullable(),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const ReleaseChannelListSchema = z.object({ items: z.array(ReleaseChannelViewSchema) });
