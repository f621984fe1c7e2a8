// The fast unit tier: no emulators, no processes, no network. StrykerJS runs it once per mutant
// (`npm run test:mutation`), so everything here must stay in-memory and quick.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
  // The bench self-test times real work; it has nothing to say about the mutated modules.
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '/test/unit/bench.test.ts'],
  reporters: ['default'],
};
