// The JetStream side of the cluster profile, done once with the admin user (the
// services' own users may not create or change streams): the INCIDENTS stream with
// `replicas` copies, and the durable consumers of dispatch and reporting.
//   node infra/cluster/nats-setup.mjs <admin NATS_URL> <replicas>
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { connectEventBus, ensureDurableConsumer, incidentStreamConfig } = require('../../shared/dist/index.js');

const [url, replicasArg = '3'] = process.argv.slice(2);
const replicas = Number(replicasArg);
const bus = await connectEventBus({ url, name: 'yuqing-cluster-setup', stream: 'INCIDENTS', subjectPrefix: '' });
try {
  const config = { ...incidentStreamConfig('INCIDENTS', ''), num_replicas: replicas };
  let info;
  try {
    info = await bus.jsm.streams.info('INCIDENTS');
  } catch {
    info = undefined;
  }
  if (!info) await bus.jsm.streams.add(config);
  else if (info.config.num_replicas !== replicas) await bus.jsm.streams.update('INCIDENTS', config);
  for (const durable of ['dispatch', 'reporting']) await ensureDurableConsumer(bus, durable);
  const now = await bus.jsm.streams.info('INCIDENTS');
  const peers = [now.cluster?.leader, ...(now.cluster?.replicas ?? []).map((r) => r.name)].filter(Boolean);
  process.stdout.write(`INCIDENTS: ${now.config.num_replicas} replicas on ${peers.join(', ')}; ${now.state.messages} messages\n`);
} finally {
  await bus.close();
}
