/**
 * `npm run bench`: presign, handler CPU, cold init, bundle size and memory of the broker Lambdas,
 * each side by side with a naive baseline in the same run. Prints tables and PASS/FAIL lines and
 * writes the same figures to bench/results.json.
 *
 * Options (flags or env; bench/options.ts):
 *   --quick / BENCH_QUICK=1        tiny iteration counts (smoke test; the figures mean nothing)
 *   --out=<path> / BENCH_RESULTS   where to write the JSON (default bench/results.json)
 *   --only=presign,handler,cold,size,memory,sweep,cost   run a subset (the JSON then has only those)
 *
 * Each section (bench/sections/) measures through its module in bench/, prints its tables and records
 * its targets; this file only runs the chosen ones in order and writes what they returned.
 */
import { isFullRun, parseOptions, type BenchOptions } from './options.js';
import { consoleReporter, printTargets, verdict, type Reporter } from './report.js';
import { resultsMeta, rewriteReadmeFigures, writeResults, type BenchResults } from './results-file.js';
import { bundleSections } from './sections/bundles.js';
import { costSection } from './sections/cost.js';
import { handlerSection } from './sections/handler.js';
import { memorySection } from './sections/memory.js';
import { presignSection } from './sections/presign.js';
import { sweepSection } from './sections/sweep.js';
import { settingsFor } from './settings.js';

process.env.BROKER_LOG_LEVEL = 'silent';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  if ('refused' in options) {
    process.stderr.write(`${options.refused}\n`);
    process.exit(2);
  }
  const report = consoleReporter();
  const results = await runSections(options, report);
  results.targets = report.targets;
  printTargets(report);
  writeResults(options.outPath, results, report.log);
  if (isFullRun(options)) rewriteReadmeFigures(results, report.log);
  process.exitCode = verdict(report, options.quick);
}

/** The chosen sections in order; each prints its tables, records its targets and returns its figures. */
async function runSections({ quick, only }: BenchOptions, report: Reporter): Promise<BenchResults> {
  const settings = settingsFor(quick);
  const results: BenchResults = { meta: resultsMeta(quick, settings) };
  report.log(`broker bench — node ${process.version}, ${results.meta.cpus} CPUs${quick ? ', QUICK (smoke-test counts; figures are not meaningful)' : ''}`);
  if (only.has('presign')) results.presign = await presignSection(settings.presign, report);
  if (only.has('handler')) results.handler = await handlerSection(settings, report);
  if (only.has('size') || only.has('cold')) {
    Object.assign(results, await bundleSections({ size: only.has('size'), cold: only.has('cold') }, settings.coldProcesses, report));
  }
  if (only.has('memory')) results.memory = memorySection(settings, report);
  if (only.has('sweep')) results.sweep = await sweepSection(settings.sweepLeases, report);
  if (only.has('cost')) results.cost = await costSection(settings.costLifecycles, report);
  return results;
}

await main();
