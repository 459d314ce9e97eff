import fp from 'fastify-plugin';
import type { Client } from '@temporalio/client';
import { createMetricsRegistry, databaseReachable, secretBoxFromConfig, type Config, type Db, type Logger, type Registry } from '@yuqing/shared';
import {
  accessPlugin,
  accountRoutes,
  authOptions,
  authPlugin,
  healthPlugin,
  metricsPlugin,
  openapiPlugin,
  inputGuardPlugin,
  problemPlugin,
  securityOptions,
  securityPlugin,
} from '@yuqing/http-kit';
import { directoryCacheOf } from './notifications/directory-cache';
import { createOutboundPolicy } from './notifications/outbound/address-policy';
import { actionRoutes } from './routes/actions/actions.routes';
import { channelRoutes } from './routes/channels/channels.routes';
import { deliveryRoutes } from './routes/deliveries/deliveries.routes';
import { directoryRoutes } from './routes/directory/directory.routes';
import { dutyRoutes } from './routes/duty/duty.routes';
import { groupRoutes } from './routes/groups/groups.routes';
import { releaseChannelRoutes } from './routes/release-channels/release-channels.routes';
import { overdueRoutes } from './routes/overdue/overdue.routes';
import { personRoutes } from './routes/persons/persons.routes';
import { policyRoutes } from './routes/policies/policies.routes';
import { routingRoutes } from './routes/routing/routing.routes';
import { taskRoutes } from './routes/tasks/tasks.routes';
import { unitRoutes } from './routes/units/units.routes';
import { IncidentWorkflowClient } from './workflow/incident-workflow.client';

export interface DispatchDeps {
  readonly db: Db;
  readonly config: Config;
  /** The process's metrics registry (served at /metrics with the routes' own); one of its own when not given. */
  readonly metrics?: Registry;
  readonly temporal: Client;
  /** True while the event consumer is connected to NATS. */
  readonly natsConnected: () => boolean;
  /** Wakes the delivery worker after an operator put a dead letter back in its queue. */
  readonly onDeliveriesQueued?: () => void;
}

/**
 * The dispatch service as a plugin: the directory (units, people, duty, routing),
 * units' tasks and chasing, human steps forwarded to workflows, notification
 * channels and the delivery log.
 */
export const dispatchApp = fp<DispatchDeps>(
  async (app, deps) => {
    await app.register(metricsPlugin, { registry: deps.metrics ?? createMetricsRegistry('dispatch', { processMetrics: false }) });
    await app.register(problemPlugin);
    await app.register(inputGuardPlugin);
    await app.register(securityPlugin, securityOptions(deps.config));
    await app.register(openapiPlugin, {
      title: '舆情应急 · dispatch',
      description:
        'The bureau’s units and people, duty and routing; units’ tasks, deadlines and chasing (督办); the human steps of the plan (签收, 反馈, 审批, 发布…) forwarded to each incident’s workflow; notification channels and the delivery log.',
    });
    await app.register(healthPlugin, {
      checks: {
        database: { check: () => databaseReachable(deps.db) },
        nats: { check: async () => deps.natsConnected() },
      },
    });
    await app.register(authPlugin, authOptions(deps.db, deps.config));
    await app.register(accessPlugin, { db: deps.db });
    // People sign in on any of the three services; the session (in PostgreSQL) is accepted by all.
    await app.register(accountRoutes, { db: deps.db, config: deps.config });
    // A change made through this instance (units, people, duty, routing, channels) reaches its next
    // notification at once: any request that may write drops the planner's directory once it has
    // been handled (committed), before the answer leaves. Other instances see it within DIRECTORY_CACHE_MS.
    const directory = directoryCacheOf(deps.db);
    app.addHook('onSend', async (request, _reply, payload) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS') directory.invalidate();
      return payload;
    });
    const workflows = new IncidentWorkflowClient(deps.temporal, deps.db, app.log as Logger);
    await app.register(taskRoutes, { db: deps.db });
    await app.register(actionRoutes, { db: deps.db, workflows });
    await app.register(policyRoutes, { db: deps.db });
    await app.register(unitRoutes, { db: deps.db });
    await app.register(personRoutes, { db: deps.db });
    await app.register(routingRoutes, { db: deps.db });
    await app.register(directoryRoutes, { db: deps.db });
    await app.register(dutyRoutes, { db: deps.db });
    await app.register(groupRoutes, { db: deps.db });
    await app.register(releaseChannelRoutes, { db: deps.db });
    await app.register(overdueRoutes, { db: deps.db });
    // Channel secrets are sealed as they are written; addresses checked against the outbound policy the sender enforces.
    await app.register(channelRoutes, { db: deps.db, box: secretBoxFromConfig(deps.config), outbound: createOutboundPolicy(deps.config.NOTIFY_ALLOW_HOSTS) });
    await app.register(deliveryRoutes, { db: deps.db, ...(deps.onDeliveriesQueued ? { onRequeued: deps.onDeliveriesQueued } : {}) });
  },
  { name: 'yuqing-dispatch' },
);
