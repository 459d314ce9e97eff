import { hashPassword, needsRehash, verifyNothing, verifyPassword } from '../src/accounts/password';

describe('passwords', () => {
  it('are kept as salted scrypt hashes that verify the password and nothing else', async () => {
    const a = await hashPassword('南岗-签收-2026');
    const b = await hashPassword('南岗-签收-2026');
    expect(a).toMatch(/^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('2026');
    expect(await verifyPassword('南岗-签收-2026', a)).toBe(true);
    expect(await verifyPassword('南岗-签收-2027', a)).toBe(false);
    // The same text in another Unicode form is the same password.
    expect(await verifyPassword('e\u0301-password-x', await hashPassword('\u00e9-password-x'))).toBe(true);
  });

  it('an unreadable or oversized hash verifies nothing; a cheaper one is to be replaced', async () => {
    expect(await verifyPassword('x', 'plain-text-password')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$4194304$8$1$AAAA$AAAA')).toBe(false);
    expect(needsRehash('scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA')).toBe(true);
    expect(needsRehash(await hashPassword('another-password'))).toBe(false);
    expect(await verifyNothing('anything')).toBe(false);
  });
});
