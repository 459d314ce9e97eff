import { createHash, randomBytes } from 'node:crypto';

/** A new secret for a cookie or a link: 256 random bits, url-safe. Only its hash is stored. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored of a secret token: its SHA-256 (hex). The token has 256 bits, so no salt or stretching is needed. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A public id: `prefix` and 16 random url-safe characters (`ses_…`, `act_…`). */
export function newPublicId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
