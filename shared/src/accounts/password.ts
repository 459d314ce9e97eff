import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords are kept as scrypt hashes (node:crypto), never as typed. The cost is
 * OWASP's equivalent of N=2^17, r=8, p=1 with a quarter of the memory (N=2^15,
 * r=8, p=3: 32 MiB per hash), so a burst of sign-ins cannot exhaust the memory
 * of a small machine. The parameters travel inside each hash, so raising them
 * later leaves older hashes readable (`needsRehash`).
 */
const COST = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
/** Upper bound on what a stored hash may ask for, so a corrupted row cannot make one check take all memory. */
const MAX_N = 2 ** 20;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (base64url), for the accounts table. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parse(stored: string): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | undefined {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return undefined;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (
    !Number.isInteger(cost.N) ||
    cost.N < 2 ||
    cost.N > MAX_N ||
    !Number.isInteger(cost.r) ||
    cost.r < 1 ||
    cost.r > 32 ||
    !Number.isInteger(cost.p) ||
    cost.p < 1 ||
    cost.p > 16
  )
    return undefined;
  return { ...cost, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
}

/** True when `password` is the one `stored` was made from; false for any other or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when a hash was made at a lower cost than today's: it is replaced at the next sign-in. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.N < COST.N || parsed.r < COST.r || parsed.p < COST.p;
}

let dummy: Promise<string> | undefined;
/**
 * Spends the time of a real check when there is no hash to check against (no such
 * person, no password yet), so the answer's timing does not tell which it was.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummy);
  return false;
}
