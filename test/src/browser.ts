import { existsSync } from 'node:fs';
import path from 'node:path';

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
