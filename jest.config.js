/**
 * One jest run for the whole repository. Tests talk to the real Temporal dev
 * server, NATS and PostgreSQL (see test/src/global-setup.ts); each file isolates
 * itself with its own database, stream and task queue. Type checking is done by
 * `tsc -p tsconfig.tests.json`, so ts-jest only transpiles.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/', '/.tools/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.tests.json' }] },
  globalSetup: '<rootDir>/test/dist/global-setup.js',
  testTimeout: 90_000,
  // Two cores: more parallel files only queue on the Temporal server.
  maxWorkers: 2,
  verbose: true,
  // The Temporal SDK's native runtime keeps threads alive after the last test.
  forceExit: true,
};
