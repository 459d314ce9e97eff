/**
 * Workflow-safe entry of the shared package (`@yuqing/shared/domain`): vocabulary,
 * labels, tier rules and names. Nothing here may import Node modules.
 */
export * from './vocabulary';
export * from './tiers';
export * from './text';
export * from './durations';
export * from './labels.zh';
export * from './assessment';
export * from './metrics';
export * from './temporal-names';
export * from './summary-report';
export * from '../events/event-types';
export type * from '../policy/policy.schema';
export type * from '../events/event-data';
export type * from '../events/envelope';
export type * from '../task/task.schema';
export type * from '../incident/incident.schema';
export type * from '../incident/incident-state.schema';
export type * from '../incident/incident-start';
