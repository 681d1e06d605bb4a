/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Integration suites start child processes and talk to real brokers; they run one file at a time
  // on a 2-core machine so their timings do not starve each other.
  maxWorkers: 1,
  testTimeout: 60000,
};
