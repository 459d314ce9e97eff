import { Client, Connection } from '@temporalio/client';

/**
 * A Temporal client over a lazy connection: a service starts even while Temporal
 * is down, and calls fail fast until it is back (the outbox retries them).
 */
export function createTemporalClient(options: { address: string; namespace: string }): Client {
  const connection = Connection.lazy({ address: options.address, connectTimeout: 3_000 });
  return new Client({ connection, namespace: options.namespace });
}

/** True when the Temporal frontend answers within a second. */
export async function temporalReachable(client: Client): Promise<boolean> {
  try {
    await client.connection.withDeadline(Date.now() + 1_000, () => client.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
