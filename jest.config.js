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
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
