// The tests StrykerJS runs per mutant: the unit tests aimed at the mutated modules (the lease engine,
// presigner, key rules and request parsing). The rest of the unit tier loads the whole handler stack
// and the AWS SDK for every mutant without killing any mutant these do not (measured on the report's
// killedBy/coveredBy), so leaving them out keeps a run well under 20 minutes on 2 cores.
import unit from './jest.unit.config.js';

export default {
  ...unit,
  testMatch: [
    '<rootDir>/test/unit/lease/**/*.test.ts',
    '<rootDir>/test/unit/presign.test.ts',
    '<rootDir>/test/unit/keys.test.ts',
    '<rootDir>/test/unit/validation.test.ts',
    '<rootDir>/test/unit/request-parsing.test.ts',
  ],
};
