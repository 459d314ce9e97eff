/**
 * Two jest projects. `unit`: pure tests (*.unit.test.ts) that need no server and
 * run in seconds (`npm run test:unit`). `integration`: the rest, against the real
 * Temporal dev server, NATS and PostgreSQL (see test/src/global-setup.ts); each
 * file isolates itself with its own database, stream and task queue. Type
 * checking is done by `tsc -p tsconfig.tests.json`, so ts-jest only transpiles.
 */
/**
 * Packages published as ES modules only, which the services load with Node's
 * require(esm) but Jest's module loader cannot: transpiled to CommonJS for the tests.
 */
const ESM_ONLY = ['openid-client', 'oauth4webapi', 'jose'];

const shared = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/', '/.tools/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.tests.json' }],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022', isolatedModules: true, sourceMap: false } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/test/**/*.unit.test.ts'], testTimeout: 90_000 },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/test/**/*.test.ts'],
      testPathIgnorePatterns: [...shared.testPathIgnorePatterns, '\\.unit\\.test\\.ts$', '/test/cluster/'],
      globalSetup: '<rootDir>/test/dist/global-setup.js',
      testTimeout: 90_000,
    },
    // Node-level faults on the running cluster profile (make test-cluster): only when asked for.
    ...(process.env.YUQING_CLUSTER === '1' ? [{ ...shared, displayName: 'cluster', testMatch: ['**/test/cluster/**/*.test.ts'], testTimeout: 600_000 }] : []),
  ],
  testTimeout: 90_000,
  // Two cores: more parallel files only queue on the Temporal server.
  maxWorkers: 2,
  verbose: true,
  // The Temporal SDK's native runtime keeps threads alive after the last test.
  forceExit: true,
};
