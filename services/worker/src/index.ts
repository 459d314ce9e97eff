export * from './worker';
export { buildBundle, BUNDLE_PATH } from './bundle';
