export * from './password';
export * from './tokens';
export * from './account.repository';
export * from './session.repository';
