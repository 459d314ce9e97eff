/** Update/query definitions and types for clients (services, tests); safe outside workflows. */
export * from './incident/incident.messages';
export { taskKey } from './incident/task-book';
