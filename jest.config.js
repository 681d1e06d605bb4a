/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Integration suites start child processes and talk to real brokers; they run one file at a time
  // on a 2-core machine so their timings do not starve each other.
  maxWorkers: 1,
  // Starts Kafka and the schema registry in Docker (testcontainers) when they are not running
  // locally and a Docker engine is available; a no-op otherwise.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
};
