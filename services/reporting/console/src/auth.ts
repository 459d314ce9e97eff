// How the console proves who is using it, in one place. People sign in with their
// account (POST /v1/session): the session travels in an httpOnly cookie to all three
// services, and every write carries the CSRF token (cookie `yq_csrf`, readable by the
// page). A system's API key is still accepted, per tab, for operators without an account.

const KEY_ITEM = 'yuqing.console.apiKey';
const CSRF_COOKIE = 'yq_csrf';

/** A key lives in sessionStorage: gone when the tab is closed, never in localStorage. */
function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

function csrfToken(): string | undefined {
  const pair = document.cookie.split('; ').find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return pair ? decodeURIComponent(pair.slice(CSRF_COOKIE.length + 1)) : undefined;
}

export const auth = {
  /** Whether to try the API at all: a key, or a session cookie the page can see the CSRF half of. */
  signedIn(): boolean {
    return storedKey() !== null || csrfToken() !== undefined;
  },
  /** Signs in with the person's account; throws the answer when refused. */
  async signIn(personId: string, password: string): Promise<void> {
    sessionStorage.removeItem(KEY_ITEM);
    const res = await fetch('/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      credentials: 'include',
      body: JSON.stringify({ personId: personId.trim(), password }),
    });
    if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
  },
  /** Uses an API key instead (systems, operators without an account). */
  useKey(key: string): void {
    sessionStorage.setItem(KEY_ITEM, key.trim());
  },
  async signOut(): Promise<void> {
    const hadKey = storedKey() !== null;
    sessionStorage.removeItem(KEY_ITEM);
    if (!hadKey && csrfToken()) {
      await fetch('/v1/session', { method: 'DELETE', headers: { 'x-csrf-token': csrfToken()! }, credentials: 'include' }).catch(() => undefined);
    }
  },
  /** Forgets local credentials without asking the server (after a 401, the cookies are already gone). */
  forget(): void {
    sessionStorage.removeItem(KEY_ITEM);
  },
  /** Headers each API call carries (reporting and dispatch alike). */
  headers(method = 'GET'): Record<string, string> {
    const key = storedKey();
    if (key) return { authorization: `Bearer ${key}` };
    const csrf = csrfToken();
    return csrf && method !== 'GET' && method !== 'HEAD' ? { 'x-csrf-token': csrf } : {};
  },
  /** fetch()'s credentials mode: the session cookie goes to every service of the platform. */
  credentials: 'include' as RequestCredentials,
};
