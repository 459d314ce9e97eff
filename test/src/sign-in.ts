import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './env';

interface StoredCookie {
  readonly value: string;
  readonly path: string;
  readonly httpOnly: boolean;
  readonly sameSite: string | undefined;
  readonly secure: boolean;
}

/**
 * The cookies of one browser, as browsers keep them for a host: by name and path,
 * whatever the port (RFC 6265 §8.5), so a cookie set by one service is sent to the
 * others on the same host. Enough of a browser for the session tests over HTTP.
 */
export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie & { name: string }>();

  /** Stores the `Set-Cookie` lines of an answer from `url`; an expired one removes its cookie. */
  store(url: string, setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (n: string) => attrs.find((a) => a.toLowerCase().startsWith(`${n.toLowerCase()}=`))?.split('=')[1];
      const flag = (n: string) => attrs.some((a) => a.toLowerCase() === n.toLowerCase());
      const cookiePath = attr('Path') ?? new URL(url).pathname.replace(/\/[^/]*$/, '/');
      const key = `${name} ${cookiePath}`;
      const expires = attr('Expires');
      const maxAge = attr('Max-Age');
      if ((maxAge !== undefined && Number(maxAge) <= 0) || (expires && Date.parse(expires) <= Date.now()) || value === '') {
        this.cookies.delete(key);
        continue;
      }
      this.cookies.set(key, { name, value, path: cookiePath, httpOnly: flag('HttpOnly'), sameSite: attr('SameSite'), secure: flag('Secure') });
    }
  }

  /** The `Cookie` header a browser sends to `url`. */
  header(url: string): string {
    const { pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  get(name: string): StoredCookie | undefined {
    return [...this.cookies.values()].find((c) => c.name === name);
  }
}

/** An HTTP answer with its body read. */
export interface BrowserAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * A minimal browser over real HTTP: one cookie jar, redirects not followed (the
 * tests look at each hop), and the CSRF header added when asked.
 */
export class TestBrowser {
  readonly jar = new CookieJar();

  async request(
    url: string,
    init: { method?: string; body?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<BrowserAnswer> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.jar.header(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    } else if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? 'GET', headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
    this.jar.store(url, res.headers.getSetCookie());
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
  }

  /** Follows redirects from `url` (GET) while they stay off `stopAt`'s path; answers the last hop and the URL it came from. */
  async follow(url: string, stopAt?: (url: URL) => boolean, max = 10): Promise<{ url: string; answer: BrowserAnswer }> {
    let current = url;
    for (let i = 0; i < max; i++) {
      const answer = await this.request(current);
      const location = answer.headers.get('location');
      if (answer.status < 300 || answer.status >= 400 || !location) return { url: current, answer };
      const next = new URL(location, current);
      if (stopAt?.(next)) return { url: next.href, answer };
      current = next.href;
    }
    throw new Error(`more than ${max} redirects from ${url}`);
  }

  /** Submits the first form of an HTML page at `pageUrl`, with its hidden fields and `fields`. */
  async submitForm(pageUrl: string, html: string, fields: Record<string, string> = {}): Promise<BrowserAnswer> {
    const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) throw new Error(`no form on ${pageUrl}: ${html.slice(0, 300)}`);
    const hidden: Record<string, string> = {};
    for (const input of form[2]!.matchAll(/<input[^>]*>/gi)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1];
      if (name && value !== undefined) hidden[name] = value;
    }
    return this.request(new URL(form[1]!, pageUrl).href, { method: 'POST', form: { ...hidden, ...fields } });
  }
}

export interface TestOidcProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  stop(): Promise<void>;
}

/** Starts the test OpenID provider (bin/oidc-provider.ts) in its own process, registered for `redirectUri`. */
export async function startOidcProvider(redirectUri: string): Promise<TestOidcProvider> {
  const clientId = 'yuqing-console';
  const clientSecret = `secret-${Math.random().toString(36).slice(2)}`;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'test/dist/bin/oidc-provider.js')], {
    env: { ...process.env, OIDC_TEST_CLIENT_ID: clientId, OIDC_TEST_CLIENT_SECRET: clientSecret, OIDC_TEST_REDIRECT_URI: redirectUri, DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OIDC provider did not start: ${out}`)), 20_000);
    const read = (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`the OIDC provider exited (${code}): ${out}`)));
  });
  return {
    issuer,
    clientId,
    clientSecret,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
