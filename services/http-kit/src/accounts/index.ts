export * from './session-cookie';
export * from './oidc';
export * from './accounts.schemas';
export * from './accounts.routes';
