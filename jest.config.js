// Jest runs the TypeScript sources as native ESM (middy is ESM-only); swc strips types, tsc checks them.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Stryker's sandbox copies the project; jest must not see it twice.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
  // Adds the files a module runs without importing them (`// @runs <path>`) to the related-tests graph.
  dependencyExtractor: '<rootDir>/test/support/dependency-extractor.cjs',
  testTimeout: 30000,
  // A worker keeps every module graph it has loaded (ESM modules are never freed), so its heap grows file
  // after file until V8 collects nearly all the time: the infra files, which run late, took 73 s each in
  // a full run on 2 cores and 5 s each on their own. Recycling a worker past 512 MB took `npm ci && npm
  // test` in a fresh clone from 1,098 s to 411 s on 2 cores (test/support/summary-reporter.js prints the
  // time per tier).
  workerIdleMemoryLimit: '512MB',
  // A scratch directory per run: the infra tests synthesize each stack configuration once in it.
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
