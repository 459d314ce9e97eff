import { z } from 'zod';
import { CHANNEL_KINDS } from '@yuqing/shared';

/** A secret for signing: long enough to resist guessing. */
const secret = z.string().min(16).max(200);

export const CreateChannelBody = z
  .strictObject({
    /** The unit whose channel it is (a group robot, a shared mailbox, the unit's own system)… */
    unitId: z.string().min(1).max(100).optional(),
    /** …or the person whose channel it is (their mailbox). Exactly one of the two. */
    personId: z.string().min(1).max(100).optional(),
    kind: z.enum(CHANNEL_KINDS),
    /** Webhook or robot URL, or the e-mail address. Never shown again in full. */
    address: z.string().trim().min(3).max(2_000),
    /** Webhook: the HMAC key (generated and shown once when omitted). DingTalk: the 加签 secret, if the robot uses one. */
    secret: secret.optional(),
    label: z.string().trim().max(200).optional(),
    enabled: z.boolean().default(true),
  })
  .refine((b) => (b.unitId === undefined) !== (b.personId === undefined), { message: 'give exactly one of unitId and personId', path: ['unitId'] });

export const UpdateChannelBody = z
  .strictObject({
    address: z.string().trim().min(3).max(2_000).optional(),
    /** A new secret, or null to sign no more (DingTalk only: a webhook is always signed). */
    secret: secret.nullable().optional(),
    /** Generate a new webhook secret and show it once. */
    rotateSecret: z.literal(true).optional(),
    label: z.string().trim().max(200).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field');

export const ChannelParams = z.object({ id: z.string().min(1).max(100) });
export const ChannelListQuery = z.strictObject({ unit: z.string().max(100).optional(), person: z.string().max(100).optional() });

export const ChannelViewSchema = z.object({
  id: z.string(),
  unitId: z.string().nullable(),
  personId: z.string().nullable(),
  kind: z.enum(CHANNEL_KINDS),
  kindLabel: z.string(),
  label: z.string().nullable(),
  enabled: z.boolean(),
  hasSecret: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const ChannelListSchema = z.object({ items: z.array(ChannelViewSchema) });
export const ChannelWithSecretSchema = ChannelViewSchema.extend({
  /** Present once: when the secret was generated. Receivers verify signatures with it. */
  secret: z.string().optional(),
});
