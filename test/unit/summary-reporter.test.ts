import { describe, expect, test } from '@jest/globals';
import { tierTimes } from '../support/summary-reporter.js';

/** The time per tier printed at the end of npm test: the span of each tier and what its files cost. */
const file = (path: string, start: number, end: number, tests = 1) => ({
  testFilePath: `/repo/test/${path}`,
  perfStats: { start, end },
  numPassingTests: tests,
  numFailingTests: 0,
  numPendingTests: 0,
  numTodoTests: 0,
});

describe('tierTimes', () => {
  test('per tier in a fixed order: files, tests, first start to last end, and the sum of file times', () => {
    const tiers = tierTimes([
      file('infra/stack.test.ts', 1_000, 31_000, 4),
      file('unit/a.test.ts', 0, 2_000, 10),
      file('integration/x.test.ts', 500, 10_500, 3),
      file('unit/b.test.ts', 2_000, 5_000, 5),
      file('infra/nag.test.ts', 20_000, 50_000, 9),
      file('e2e/broker.e2e.test.ts', 40_000, 45_000, 7),
    ]);
    expect(tiers).toEqual([
      { tier: 'unit', files: 2, tests: 15, spanMs: 5_000, ownMs: 5_000 },
      { tier: 'integration', files: 1, tests: 3, spanMs: 10_000, ownMs: 10_000 },
      // Overlapping files: the span is shorter than the sum.
      { tier: 'infra', files: 2, tests: 13, spanMs: 49_000, ownMs: 60_000 },
      { tier: 'e2e', files: 1, tests: 7, spanMs: 5_000, ownMs: 5_000 },
    ]);
  });

  test('a file that did not run (no times) is left out', () => {
    expect(tierTimes([file('unit/a.test.ts', 0, 0)])).toEqual([]);
  });
});
