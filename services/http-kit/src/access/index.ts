export * from './access';
export * from './access.repository';
export * from './access.plugin';
