export * from './notice';
export * from './planner';
export { directoryCacheOf, DIRECTORY_CACHE_MS } from './directory-cache';
export * from './delivery-worker';
export * from './notifications';
export * from './senders/sender';
export { SIGNATURE_TOLERANCE_SECONDS, webhookSignature } from './senders/webhook';
export { dingtalkSignedUrl } from './senders/robots';
