import { connectEventBus, ensureIncidentStream, type EventBus, type NatsOptions } from '@yuqing/shared';
import { stackEnv, uniqueToken } from './env';

/** A stream and subject prefix of its own for one test file. */
export function testNatsOptions(name = 'test'): NatsOptions {
  const token = uniqueToken();
  return { url: stackEnv().natsUrl, name, stream: `T_${token}`, subjectPrefix: `t${token}.` };
}

export async function connectTestBus(options: NatsOptions): Promise<EventBus> {
  const bus = await connectEventBus(options);
  await ensureIncidentStream(bus);
  return bus;
}

/** Deletes the test stream and closes the connection. */
export async function destroyTestBus(bus: EventBus): Promise<void> {
  await bus.jsm.streams.delete(bus.stream).catch(() => undefined);
  await bus.close();
}
