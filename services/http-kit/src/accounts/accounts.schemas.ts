import { z } from 'zod';
import { SCOPES } from '@yuqing/shared';

/** Passwords people choose: long enough to resist guessing, short enough to hash cheaply. */
export const NewPassword = z.string({ error: '请设置密码' }).min(10, '密码至少 10 个字符').max(128, '密码最多 128 个字符');
const typedPassword = z.string({ error: '请填写密码' }).min(1, '请填写密码').max(200, '密码过长');
const personId = z.string({ error: '请填写人员编号' }).trim().min(1, '请填写人员编号').max(100, '人员编号过长');
const scopes = z
  .array(z.enum(SCOPES, { error: '未知的权限' }))
  .min(1, '至少授予一项权限')
  .max(SCOPES.length)
  .refine((s) => new Set(s).size === s.length, '每项权限只写一次');

export const SignInBody = z.strictObject({
  /** The person's id in the directory (e.g. `li-nangang`). */
  personId,
  password: typedPassword,
});

export const SessionViewSchema = z.object({
  /** The session's public id: the actor id of what is done in it. */
  id: z.string(),
  personId: z.string(),
  name: z.string(),
  unitId: z.string(),
  roles: z.array(z.string()),
  scopes: z.array(z.string()),
  method: z.enum(['password', 'oidc']),
  createdAt: z.string(),
  /** The absolute end, whatever the activity. */
  expiresAt: z.string(),
  /** When it ends if no request comes before. */
  idleExpiresAt: z.string(),
  /** Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the session cookie. */
  csrfToken: z.string(),
});

export const SessionListSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      method: z.enum(['password', 'oidc']),
      createdAt: z.string(),
      lastSeenAt: z.string(),
      expiresAt: z.string(),
      userAgent: z.string().nullable(),
      /** The session this request was made with. */
      current: z.boolean(),
    }),
  ),
});

export const SignedOutEverywhereSchema = z.object({ revoked: z.number().int() });

export const ChangePasswordBody = z.strictObject({ currentPassword: typedPassword, newPassword: NewPassword });

export const ActivateBody = z.strictObject({
  /** The token of the activation link (after `#token=`). */
  token: z.string({ error: '缺少激活令牌' }).min(20, '激活链接无效').max(200, '激活链接无效'),
  password: NewPassword,
});
export const ActivatedSchema = z.object({ personId: z.string() });

export const AccountParams = z.object({ personId: z.string().min(1).max(100) });

export const SaveAccountBody = z.strictObject({
  /** What the person's sessions may do, as a personal key's scopes; at most the issuer's. */
  scopes,
});

export const IssueActivationBody = z.strictObject({
  /** The account's scopes, when it is opened with this link (default `tasks:act`, `reports:read`) or changed. */
  scopes: scopes.optional(),
});

export const AccountViewSchema = z.object({
  personId: z.string(),
  scopes: z.array(z.string()),
  /** A password has been set (through an activation link). */
  activated: z.boolean(),
  passwordChangedAt: z.string().nullable(),
  lockedUntil: z.string().nullable(),
  openSessions: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ActivationIssuedSchema = z.object({
  id: z.string(),
  personId: z.string(),
  /** Shown this once; only its hash is kept. */
  token: z.string(),
  /** The console's page that sets the password, with the token after `#` (never sent to a server, never in a log). */
  link: z.string(),
  expiresAt: z.string(),
});

export const OidcStartQuery = z.strictObject({
  /** A path on this site to land on after signing in (default `/console/`). */
  returnTo: z
    .string()
    .max(500)
    .regex(/^\/(?![/\\])[^\s]*$/, '只能返回本站页面 (a path on this site)')
    .optional(),
});
