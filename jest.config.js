/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // PGlite loads its WebAssembly with dynamic import(), which Jest's vm does not allow: these
  // load it (and knex, which hands it Dates) with Node's own loader. See test/support/native/load.js.
  moduleNameMapper: {
    '^@electric-sql/pglite$': '<rootDir>/test/support/native/pglite.js',
    '^@electric-sql/pglite/vector$': '<rootDir>/test/support/native/pglite-vector.js',
    '^knex$': '<rootDir>/test/support/native/knex.js',
    '^knex-pglite$': '<rootDir>/test/support/native/knex-pglite.js',
  },
  // Integration suites start child processes and talk to real brokers; they run one file at a time
  // on a 2-core machine so their timings do not starve each other.
  maxWorkers: 1,
  // Starts Kafka and the schema registry in Docker (testcontainers) when they are not running
  // locally and a Docker engine is available; a no-op otherwise.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
};
