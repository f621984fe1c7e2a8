// Prints, at the end of a run, the time each tier took and one plain closing line
// ("jest: N passed, N failed, N skipped") that any CI can read.
//
// A tier is the folder under test/ (unit, integration, infra, e2e). Files of different tiers run side
// by side in the workers, so each tier gets two figures: the time from its first file's start to its
// last file's end (what waiting for it costs) and the sum of its files' own times (what it costs).
const tierOf = (path) => /[\\/]test[\\/]([^\\/]+)[\\/]/.exec(path)?.[1] ?? 'other';
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

export function tierTimes(results) {
  const tiers = new Map();
  for (const file of results) {
    const { start, end } = file.perfStats;
    if (!end) continue; // not run
    const name = tierOf(file.testFilePath);
    const t = tiers.get(name) ?? { files: 0, tests: 0, first: start, last: end, own: 0 };
    t.files += 1;
    t.tests += file.numPassingTests + file.numFailingTests + file.numPendingTests + file.numTodoTests;
    t.first = Math.min(t.first, start);
    t.last = Math.max(t.last, end);
    t.own += end - start;
    tiers.set(name, t);
  }
  const order = ['unit', 'integration', 'infra', 'e2e'];
  return [...tiers.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .map(([tier, t]) => ({ tier, files: t.files, tests: t.tests, spanMs: t.last - t.first, ownMs: t.own }));
}

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, startTime } = results;
    const lines = tierTimes(results.testResults).map(
      (t) => `  ${t.tier.padEnd(12)} ${String(t.files).padStart(3)} files ${String(t.tests).padStart(5)} tests  ${seconds(t.spanMs).padStart(8)} from first start to last end, ${seconds(t.ownMs).padStart(8)} summed over files`,
    );
    console.log(`\ntime per tier (whole run ${seconds(Date.now() - startTime)}):\n${lines.join('\n')}`);
    console.log(`\njest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`);
  }
}
