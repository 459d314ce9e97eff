export * from './env';
export * from './database';
export * from './nats';
export * from './temporal';
export * from './fixtures';
export * from './wait';
export * from './processes';
export * from './private-servers';
