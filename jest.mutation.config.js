// The tests StrykerJS runs per mutant: the unit tier, without the tests of what is not mutated (bench,
// CLI scripts, metrics, settings, the dependency rules, the check of the report itself). Stryker runs
// only the tests that cover a mutant (perTest coverage), so a test file costs only for the mutants it reaches.
import unit from './jest.unit.config.js';

export default {
  ...unit,
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
  testPathIgnorePatterns: [
    ...unit.testPathIgnorePatterns,
    '/test/unit/(package-scripts|metrics|stack-outputs|config|openapi|ids|mutation-report|architecture)\\.test\\.ts$',
    // Checks the function files as deployed (size, syntax); Stryker's instrumented copies are neither.
    '/test/unit/blob-front/runtime-limits\\.test\\.ts$',
  ],
};
