/**
 * A real OpenID Connect provider (the `oidc-provider` package) for the sign-on
 * tests, in a process of its own: it is an ES module with a Koa stack, which
 * Jest's module loader cannot load. `startOidcProvider` (sign-in.ts) runs it.
 *
 * Environment: OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET, OIDC_TEST_REDIRECT_URI.
 * Prints `listening <issuer>` once it answers. Its development login page takes
 * any login name: the account's `sub` and `preferred_username` are that name,
 * its e-mail `<name>@example.org`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

const clientId = process.env.OIDC_TEST_CLIENT_ID ?? 'yuqing-console';
const clientSecret = process.env.OIDC_TEST_CLIENT_SECRET ?? 'test-client-secret';
const redirectUri = process.env.OIDC_TEST_REDIRECT_URI;
if (!redirectUri) throw new Error('OIDC_TEST_REDIRECT_URI is required');

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'] },
    // The claims asked for by scope go in the ID token itself.
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, preferred_username: id, name: id, email: `${id}@example.org` }),
    }),
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['test-only-cookie-key-0123456789'] },
  });
  server.on('request', provider.callback());
  process.stdout.write(`listening ${issuer}\n`);
});
