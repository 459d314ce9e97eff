/**
 * The project's shared package: contracts (vocabulary, schemas, events, policy)
 * and the plumbing every process uses (config, logger, database, NATS, Temporal,
 * outbox). Workflow code imports `@yuqing/shared/domain` instead.
 */
export * from './domain';
export * from './events/event-data';
export * from './schemas/text.schema';
export * from './views/index';
export * from './events/envelope';
export * from './events/describe';
export * from './domain/time';
export * from './task/task.schema';
export * from './incident/incident.schema';
export * from './incident/incident-state.schema';
export * from './incident/incident-start';
export * from './reports/report.repository';
export * from './policy/policy.schema';
export * from './policy/default-policy';
export * from './policy/scale';
export * from './policy/resolve';
export * from './policy/plan-rules';
export * from './policy/policy.repository';
export * from './policy/correlation-policy';
export * from './policy/policy-markdown';
export * from './directory/directory.seed';
export * from './directory/duty';
export * from './directory/release-channels';
export * from './config/config';
export * from './config/allow-hosts';
export * from './config/trust-proxy';
export * from './secrets/secret-box';
export * from './secrets/channel-secrets';
export * from './logger/logger';
export * from './db/database';
export * from './db/tables';
export * from './db/migrate';
export { MIGRATIONS } from './db/migrations';
export * from './nats/nats';
export * from './nats/consumer-runner';
export * from './nats/event-watcher';
export * from './work/poll-loop';
export * from './health/readiness';
export * from './health/problem-document';
export * from './outbox/outbox';
export * from './outbox/event-relay';
export * from './audit/audit';
export type * from './notifications/notice-message';
export * from './notifications/deliveries';
export * from './idempotency/request-hash';
export * from './auth/api-keys';
export * from './accounts/index';
export * from './temporal/temporal';
export * from './policy/next-escalation';
export * from './metrics/metrics';
export * from './correlation';
