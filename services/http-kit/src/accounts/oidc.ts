import * as client from 'openid-client';
import { sql } from 'kysely';
import { hashToken, newSecretToken, type Config, type Db } from '@yuqing/shared';

/** Single sign-on settings (README, Configuration): a configuration of the one sign-in, not a second one. */
export interface OidcSettings {
  readonly issuer: URL;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly redirectUri: URL;
  readonly scopes: string;
  /** The claim whose value names the person. */
  readonly personClaim: string;
  /** What that value is: a person's id, or their e-mail address. */
  readonly personMatch: 'id' | 'email';
}

export function oidcSettings(config: Config): OidcSettings | undefined {
  if (!config.OIDC_ISSUER || !config.OIDC_CLIENT_ID || !config.OIDC_REDIRECT_URI) return undefined;
  return {
    issuer: new URL(config.OIDC_ISSUER),
    clientId: config.OIDC_CLIENT_ID,
    clientSecret: config.OIDC_CLIENT_SECRET,
    redirectUri: new URL(config.OIDC_REDIRECT_URI),
    scopes: config.OIDC_SCOPES,
    personClaim: config.OIDC_PERSON_CLAIM,
    personMatch: config.OIDC_PERSON_MATCH,
  };
}

/** How long a browser has between leaving for the provider and coming back. */
const LOGIN_TTL_MS = 10 * 60_000;

/** Why a sign-on's callback was refused. */
export class OidcRefusal extends Error {
  constructor(
    readonly reason: 'no_login' | 'state_mismatch' | 'provider_error' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'OidcRefusal';
  }
}

/**
 * The authorization code flow with PKCE, state and nonce, through openid-client.
 * What the callback checks is kept in PostgreSQL under the state's hash, so the
 * flow may start on one service and come back to another; the state also goes in
 * an httpOnly cookie, so only the browser that started it can finish it.
 */
export class OidcSignIn {
  private configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly db: Db,
    readonly settings: OidcSettings,
  ) {}

  /** Discovery happens once, when first needed; a failure is retried at the next sign-on. */
  private async provider(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    this.configuration ??= client.discovery(issuer, clientId, clientSecret, undefined, {
      // The configuration refuses plain http in production; here it is a provider on this machine (development, tests).
      ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
      timeout: 10,
    });
    try {
      return await this.configuration;
    } catch (err) {
      this.configuration = undefined;
      throw new OidcRefusal('unavailable', `the identity provider could not be reached: ${(err as Error).message}`);
    }
  }

  /** Where to send the browser, and the state for its cookie. */
  async start(returnTo: string): Promise<{ url: URL; state: string }> {
    const config = await this.provider();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = newSecretToken();
    const nonce = client.randomNonce();
    await this.db
      .deleteFrom('oidcLogins')
      .where('expiresAt', '<', sql<Date>`now()`)
      .execute();
    await this.db
      .insertInto('oidcLogins')
      .values({ stateHash: hashToken(state), nonce, codeVerifier, returnTo, expiresAt: sql`now() + ${`${LOGIN_TTL_MS} milliseconds`}::interval` })
      .execute();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri.href,
      scope: this.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, state };
  }

  /**
   * Checks the provider's answer (`query`, the callback's query string) against
   * the login the cookie's state started, and answers the person's claim value.
   */
  async finish(query: string, cookieState: string | undefined): Promise<{ claimValue: string | undefined; subject: string; returnTo: string }> {
    const params = new URLSearchParams(query);
    const state = params.get('state');
    if (!state || !cookieState || state !== cookieState) throw new OidcRefusal('state_mismatch', 'the sign-on was not started by this browser');
    // Used once: deleted as it is read.
    const login = await this.db.deleteFrom('oidcLogins').where('stateHash', '=', hashToken(state)).returningAll().executeTakeFirst();
    if (!login || login.expiresAt.getTime() < Date.now()) throw new OidcRefusal('no_login', 'the sign-on expired or was already used');
    const config = await this.provider();
    // The URL the provider redirected to, as registered: behind a proxy the request's own URL differs.
    const current = new URL(this.settings.redirectUri.href);
    current.search = params.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new OidcRefusal('provider_error', (err as Error).message);
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcRefusal('provider_error', 'no ID token');
    let value = claims[this.settings.personClaim];
    // Providers put some claims only in userinfo.
    if (value === undefined) {
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      value = info[this.settings.personClaim];
    }
    return { claimValue: typeof value === 'string' && value.trim() ? value.trim() : undefined, subject: claims.sub, returnTo: login.returnTo };
  }
}
