export * from './server';
export * from './problem';
export * from './auth';
export * from './openapi';
export * from './health';
export * from './lifecycle';
export * from './access';
