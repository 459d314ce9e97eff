/**
 * Jest global setup: the shared servers must be up (`make test` starts them with
 * infra/stack.sh deps), and the migrated template database is rebuilt.
 */
import { Connection } from '@temporalio/client';
import { connect } from '@nats-io/transport-node';
import { loadStackEnv, stackEnv } from './env';
import { prepareTemplateDatabase } from './database';

export default async function globalSetup(): Promise<void> {
  loadStackEnv();
  const env = stackEnv();
  const hint = 'start them with `infra/stack.sh deps` (make test does this)';
  try {
    const conn = await Connection.connect({ address: env.temporalAddress, connectTimeout: 3_000 });
    await conn.close();
  } catch (err) {
    throw new Error(`Temporal is not reachable at ${env.temporalAddress}: ${hint} (${String(err)})`, { cause: err });
  }
  try {
    const nc = await connect({ servers: env.natsUrl, timeout: 3_000, maxReconnectAttempts: 0 });
    await nc.close();
  } catch (err) {
    throw new Error(`NATS is not reachable at ${env.natsUrl}: ${hint} (${String(err)})`, { cause: err });
  }
  try {
    await prepareTemplateDatabase();
  } catch (err) {
    throw new Error(`PostgreSQL is not usable at ${env.databaseUrl}: ${hint} (${String(err)})`, { cause: err });
  }
}
