export * from './app';
export * from './consumers/timeline-projection';
