// Probes used by infra/stack.sh, so the shell needs no client tools:
//   node check.mjs pg <url>        exit 0 if PostgreSQL answers at that URL's server
//   node check.mjs nats <url>      exit 0 if NATS answers with JetStream enabled (2: no JetStream)
//   node check.mjs http <url>      exit 0 on a 2xx answer
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const [kind, target] = process.argv.slice(2);

async function pg(url) {
  const { Client } = require('pg');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 2000 });
  await client.connect();
  await client.query('select 1');
  await client.end();
}

async function nats(url) {
  const { connect } = require('@nats-io/transport-node');
  const { jetstreamManager } = require('@nats-io/jetstream');
  const nc = await connect({ servers: url, timeout: 2000, maxReconnectAttempts: 0 });
  try {
    await jetstreamManager(nc, { timeout: 2000 });
  } catch (err) {
    process.stderr.write(`NATS at ${url} answers but JetStream is not enabled (start it with -js): ${err.message}\n`);
    process.exit(2);
  } finally {
    await nc.close();
  }
}

async function http(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

const probes = { pg, nats, http };
if (!probes[kind] || !target) {
  process.stderr.write('usage: check.mjs pg|nats|http <url>\n');
  process.exit(64);
}
probes[kind](target).then(
  () => process.exit(0),
  () => process.exit(1),
);
