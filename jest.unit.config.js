// The fast unit tier: no emulators, no network, in seconds. Three files start a short child process
// (the dependency rules' CLI, a log line from a fresh Lambda module, the stack-outputs script);
// StrykerJS runs the rest per mutant (jest.mutation.config.js leaves those three out).
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
  // The bench self-test times real work; it has nothing to say about the mutated modules.
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '/test/unit/bench.test.ts'],
  reporters: ['default'],
};
