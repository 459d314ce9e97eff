import { createHash, timingSafeEqual } from 'node:crypto';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { Config } from '@yuqing/shared';

/** The httpOnly cookie that carries a session's token (the same on the three services: cookies ignore ports). */
export const SESSION_COOKIE = 'yq_session';
/** A readable copy of the session's CSRF token, for pages that lost the one sign-in answered with. */
export const CSRF_COOKIE = 'yq_csrf';
/** The header an unsafe request authenticated by the session cookie must carry. */
export const CSRF_HEADER = 'x-csrf-token';
/** The httpOnly cookie that ties a single sign-on's callback to the browser that started it. */
export const OIDC_STATE_COOKIE = 'yq_oidc';
/** Where the OIDC state cookie is sent: only to the callback. */
export const OIDC_PATH = '/v1/session/oidc';

/** What the services need to know about sessions, from the configuration. */
export interface SessionSettings {
  readonly idleMs: number;
  readonly absoluteMs: number;
  /** `Secure` cookies: set when the console is served over https. */
  readonly secureCookie: boolean;
}

export function sessionSettings(
  config: Pick<Config, 'SESSION_IDLE_TIMEOUT_MS' | 'SESSION_ABSOLUTE_TIMEOUT_MS' | 'SESSION_COOKIE_SECURE' | 'REPORTING_PUBLIC_URL'>,
): SessionSettings {
  return {
    idleMs: config.SESSION_IDLE_TIMEOUT_MS,
    absoluteMs: config.SESSION_ABSOLUTE_TIMEOUT_MS,
    secureCookie: config.SESSION_COOKIE_SECURE ? config.SESSION_COOKIE_SECURE === 'true' : config.REPORTING_PUBLIC_URL.startsWith('https://'),
  };
}

/**
 * Lax, not Strict: a notification's link opened from WeCom or e-mail is a
 * cross-site navigation, and it must arrive signed in. Lax still keeps the
 * cookie off cross-site POSTs, and unsafe requests need the CSRF header anyway.
 */
export function sessionCookieOptions(settings: SessionSettings, httpOnly = true): CookieSerializeOptions {
  return { path: '/', httpOnly, sameSite: 'lax', secure: settings.secureCookie };
}

/**
 * The CSRF token of a session: derived from its token, so it needs no storage,
 * cannot be computed without the cookie, and dies with the session.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHash('sha256').update(`yq-csrf\0${sessionToken}`, 'utf8').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Methods that change nothing: no CSRF token needed. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
