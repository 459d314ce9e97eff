import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page, Request } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core in the console's browser tests (CHROMIUM_PATH for another). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Headless, no sandbox (root in CI), nothing fetched from the network, sounds allowed without a gesture. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];
/** Where the browser tests save each page (README, "The console"). */
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
export const DESK = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Fails with what to do when there is no Chromium to drive. */
export function assertChromium(): void {
  if (existsSync(CHROMIUM)) return;
  throw new Error(
    `No Chromium at ${CHROMIUM}: the console's browser tests need it. Install it with "apt-get install -y chromium" ` +
      '(make test does this through "infra/stack.sh deps" when run as root), or point CHROMIUM_PATH at a Chromium binary.',
  );
}

/**
 * Opens `url` on a person's page and answers once its document is parsed; the tests then
 * wait for what they look at. A page that has not come in `timeout` fails with what it
 * was still waiting for, so a slow load in CI says where it stuck.
 */
export async function visit(page: Page, url: string, timeout = 60_000): Promise<void> {
  const pending = new Map<Request, number>();
  const started = Date.now();
  const sent = (r: Request) => void pending.set(r, Date.now());
  const done = (r: Request) => void pending.delete(r);
  page.on('request', sent);
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
  } catch (err) {
    const waiting = [...pending].map(([r, at]) => `${r.method()} ${r.url()} for ${Date.now() - at} ms`);
    throw new Error(`${url} not loaded after ${Date.now() - started} ms, waiting for: ${waiting.join('; ') || 'no request'} (${(err as Error).message})`, {
      cause: err,
    });
  } finally {
    page.off('request', sent);
    page.off('requestfinished', done);
    page.off('requestfailed', done);
  }
  const took = Date.now() - started;
  if (took > 5_000) console.warn(`[visit] ${url} took ${took} ms`);
}
