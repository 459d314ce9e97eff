// How the console proves who is using it: the one place to change when people
// sign in with a session (the sign-in work): then `headers()` sends the CSRF
// header, `credentials` is 'include', and signIn/signOut call the session routes.
// Until then the person pastes their own API key once per tab.

const KEY_ITEM = 'yuqing.console.apiKey';

/** The key lives in sessionStorage: gone when the tab is closed, never in localStorage. */
function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export const auth = {
  /** Whether the console has something to present; the API still decides (401 signs out). */
  signedIn(): boolean {
    return storedKey() !== null;
  },
  /** Remembers what the person entered; the caller checks it against the API. */
  signIn(key: string): void {
    sessionStorage.setItem(KEY_ITEM, key.trim());
  },
  signOut(): void {
    sessionStorage.removeItem(KEY_ITEM);
  },
  /** Headers each API call carries (reporting and dispatch alike). */
  headers(): Record<string, string> {
    const key = storedKey();
    return key ? { authorization: `Bearer ${key}` } : {};
  },
  /** fetch()'s credentials mode: the key travels in a header, so no cookies. */
  credentials: 'omit' as RequestCredentials,
};
