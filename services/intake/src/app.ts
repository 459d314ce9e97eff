import fp from 'fastify-plugin';
import { createMetricsRegistry, databaseReachable, temporalReachable, type Config, type Db, type Registry } from '@yuqing/shared';
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
import type { Client } from '@temporalio/client';
import { incidentRoutes } from './routes/incidents/incidents.routes';
import { reportRoutes } from './routes/reports/reports.routes';
import { correlationRules } from './reports/correlation-policy';
import { ReportService } from './reports/report.service';

export interface IntakeDeps {
  readonly db: Db;
  readonly config: Config;
  /** The process's metrics registry (served at /metrics with the routes' own); one of its own when not given. */
  readonly metrics?: Registry;
  readonly temporal: Client;
  /** Wakes the workflow starter after an incident commits. */
  readonly onAccepted: () => void;
}

/** The intake service as a plugin: the server file only adds listening and shutdown. */
export const intakeApp = fp<IntakeDeps>(
  async (app, deps) => {
    await app.register(metricsPlugin, { registry: deps.metrics ?? createMetricsRegistry('intake', { processMetrics: false }) });
    await app.register(problemPlugin);
    await app.register(inputGuardPlugin);
    await app.register(securityPlugin, securityOptions(deps.config));
    await app.register(openapiPlugin, {
      title: '舆情应急 · intake',
      description:
        'Report public-opinion incidents and sightings (舆情上报). Other systems — the monitoring platform, district bureaus — call this API; sightings of one event are folded into one incident.',
    });
    await app.register(healthPlugin, {
      checks: {
        database: { check: () => databaseReachable(deps.db) },
        // Intake keeps accepting while Temporal is down: the outbox starts workflows later.
        temporal: { check: () => temporalReachable(deps.temporal), required: false },
      },
    });
    await app.register(authPlugin, authOptions(deps.db, deps.config));
    await app.register(accessPlugin, { db: deps.db });
    // People sign in on any of the three services; the session (in PostgreSQL) is accepted by all.
    await app.register(accountRoutes, { db: deps.db, config: deps.config });
    const reports = new ReportService(deps.db, correlationRules(deps.db));
    await app.register(incidentRoutes, { ...deps, reports });
    await app.register(reportRoutes, { ...deps, reports });
  },
  { name: 'yuqing-intake' },
);
