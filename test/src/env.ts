import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Reads `.data/stack.env` (written by infra/stack.sh) into process.env, without overriding what is set. */
export function loadStackEnv(): void {
  const file = path.join(REPO_ROOT, '.data', 'stack.env');
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m && process.env[m[1]!] === undefined) process.env[m[1]!] = m[2];
  }
}

/** Where the shared test servers are. */
export function stackEnv() {
  loadStackEnv();
  return {
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/yuqing',
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  };
}

/** A short random token for names that must not collide between test files or runs. */
export function uniqueToken(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
