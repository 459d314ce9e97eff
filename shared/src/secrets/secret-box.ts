import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config/config';

/**
 * Secrets at rest (webhook HMAC keys, DingTalk 加签 secrets) are sealed with
 * AES-256-GCM under `SECRETS_KEY` and stored as
 *
 *     v1:<keyId>:<iv>:<tag>:<ciphertext>        (base64url parts)
 *
 * `keyId` is a short hash of the key, so after a rotation the right key is found
 * among `SECRETS_OLD_KEYS`. The context (the channel id) is bound in as
 * additional data: a sealed value copied onto another row does not open there.
 */
export const SEALED_PREFIX = 'v1:';
const SEALED = /^v1:([0-9a-f]{8}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]*)$/;
const IV_BYTES = 12;
const KEY_BYTES = 32;

/**
 * The key used when `SECRETS_KEY` is unset outside production: published here,
 * so it protects nothing and only keeps one code path. `infra/stack.sh` sets a
 * key of its own for the local stack; production refuses to start without one.
 */
const DEVELOPMENT_KEY = createHash('sha256').update('yuqing development secrets key: public, never for production').digest();

export class SecretUnreadable extends Error {
  readonly code = 'SECRET_UNREADABLE';
  constructor(
    readonly keyId: string | undefined,
    why: string,
  ) {
    super(`secret unreadable (${why})`);
    this.name = 'SecretUnreadable';
  }
}

/** The base64 text of a 32-byte key, or undefined when it is not one. */
export function decodeSecretsKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

/** `SECRETS_OLD_KEYS`: comma-separated, each a base64 32-byte key. */
export function decodeOldSecretsKeys(text: string): Buffer[] | undefined {
  const keys = text
    .split(',')
    .filter((k) => k.trim() !== '')
    .map(decodeSecretsKey);
  return keys.every((k): k is Buffer => k !== undefined) ? keys : undefined;
}

/** A short, stable name for a key: the first 8 hex digits of a hash of it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('yuqing secrets key id\0').update(key).digest('hex').slice(0, 8);
}

/** True when the value has the sealed form (anything else is a plaintext secret from before). */
export function isSealed(value: string): boolean {
  return SEALED.test(value);
}

/** The id of the key a sealed value was sealed under. */
export function sealedKeyId(value: string): string | undefined {
  return SEALED.exec(value)?.[1];
}

export interface SecretBox {
  /** The id of the key new values are sealed under. */
  readonly keyId: string;
  /** True while `SECRETS_KEY` is unset and the public development key stands in. */
  readonly developmentKey: boolean;
  seal(plaintext: string, context: string): string;
  /** Opens a sealed value with whichever configured key sealed it; throws SecretUnreadable otherwise. */
  open(sealed: string, context: string): string;
}

const b64 = (b: Buffer) => b.toString('base64url');

/** A box sealing under `current` and opening under it or any of `old`. */
export function createSecretBox(current: Buffer, old: readonly Buffer[] = [], options: { developmentKey?: boolean } = {}): SecretBox {
  if (current.length !== KEY_BYTES || old.some((k) => k.length !== KEY_BYTES)) throw new Error('secrets keys are 32 bytes');
  const keys = new Map<string, Buffer>();
  for (const k of [...old].reverse()) keys.set(keyIdOf(k), k);
  const keyId = keyIdOf(current);
  keys.set(keyId, current);
  return {
    keyId,
    developmentKey: options.developmentKey ?? false,
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${SEALED_PREFIX}${keyId}:${b64(iv)}:${b64(cipher.getAuthTag())}:${b64(ciphertext)}`;
    },
    open(sealed, context) {
      const m = SEALED.exec(sealed);
      if (!m) throw new SecretUnreadable(undefined, 'not a sealed value');
      const [, id, iv, tag, ciphertext] = m as unknown as [string, string, string, string, string];
      const key = keys.get(id);
      if (!key) throw new SecretUnreadable(id, `sealed under key ${id}, which is neither SECRETS_KEY nor in SECRETS_OLD_KEYS`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretUnreadable(id, 'authentication failed: altered, or sealed for another row');
      }
    },
  };
}

export type SecretsSettings = Pick<Config, 'NODE_ENV' | 'SECRETS_KEY' | 'SECRETS_OLD_KEYS'>;

/** Why a process that handles secrets must not start in production, or undefined. */
export function productionSecretsProblem(config: SecretsSettings): string | undefined {
  if (config.NODE_ENV !== 'production' || config.SECRETS_KEY) return undefined;
  return 'SECRETS_KEY is not set: channel secrets are encrypted at rest under it (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)';
}

/**
 * The box the configuration calls for. Outside production without `SECRETS_KEY`
 * the public development key seals; it also stays readable as an old key there,
 * so a development database keeps working once a key is set.
 */
export function secretBoxFromConfig(config: SecretsSettings): SecretBox {
  const problem = productionSecretsProblem(config);
  if (problem) throw new Error(problem);
  const old = decodeOldSecretsKeys(config.SECRETS_OLD_KEYS) ?? [];
  const current = config.SECRETS_KEY ? decodeSecretsKey(config.SECRETS_KEY) : undefined;
  const development = config.NODE_ENV === 'production' ? [] : [DEVELOPMENT_KEY];
  if (current) return createSecretBox(current, [...old, ...development]);
  return createSecretBox(DEVELOPMENT_KEY, old, { developmentKey: true });
}
