/** Types of summary-reporter.js (a plain JS module: jest loads reporters untransformed). */
export interface TierTime {
  readonly tier: string;
  readonly files: number;
  readonly tests: number;
  readonly spanMs: number;
  readonly ownMs: number;
}
export function tierTimes(
  results: readonly {
    testFilePath: string;
    perfStats: { start: number; end: number };
    numPassingTests: number;
    numFailingTests: number;
    numPendingTests: number;
    numTodoTests: number;
  }[],
): TierTime[];
export default class SummaryReporter {
  onRunComplete(contexts: unknown, results: unknown): void;
}
