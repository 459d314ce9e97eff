export * from './app';
export * from './consumers/timeline-projection';
export * from './live/live-source';
export { LiveFeed } from './live/live-feed';
