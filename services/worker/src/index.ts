export * from './worker';
export * from './event-relay';
export { buildBundle, BUNDLE_PATH } from './bundle';
