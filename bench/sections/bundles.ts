/**
 * Bundle size and cold init: one esbuild build of every Lambda (and the naive ones and an empty module)
 * serves both sections, then is removed.
 */
import { rmSync } from 'node:fs';
import { BUNDLING_OPTIONS_SOURCE, buildBundles, lambdaTarget, type BuiltBundle } from '../bundles.js';
import { benchColdInit, type ColdInitResult } from '../cold-init.js';
import { kb, table, type Reporter } from '../report.js';
import type { BenchResults, BundleSizeResult } from '../results-file.js';
import { round } from '../stats.js';

export async function bundleSections(
  run: { readonly size: boolean; readonly cold: boolean },
  coldProcesses: number,
  report: Reporter,
): Promise<Pick<BenchResults, 'bundleSize' | 'coldInit'>> {
  report.progress('bundling every Lambda with infra/bundling.ts options');
  const { dir, bundles, bare } = await buildBundles();
  try {
    const bundleSize = run.size ? sizeSection(bundles, report) : undefined;
    const coldInit = run.cold ? coldInitSection(bundles, bare, coldProcesses, report) : undefined;
    return { ...(bundleSize && { bundleSize }), ...(coldInit && { coldInit }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sizeSection(bundles: BuiltBundle[], report: Reporter): BundleSizeResult {
  printSizes(bundles, report);
  for (const b of bundles.filter((x) => x.kind === 'lambda')) {
    const max = lambdaTarget(b.name).maxBytes;
    report.target(`bundle ${b.name} <= ${kb(max)} KB`, b.rawBytes <= max, `${kb(b.rawBytes)} KB raw, ${kb(b.gzipBytes)} KB gzip`);
  }
  return Object.fromEntries(bundles.map((b) => [b.name, { rawBytes: b.rawBytes, gzipBytes: b.gzipBytes, top: b.top, topPackages: b.topPackages }]));
}

function printSizes(bundles: BuiltBundle[], report: Reporter): void {
  report.log(
    table(
      `Bundle size (esbuild, ${BUNDLING_OPTIONS_SOURCE}; gzip -9 of index.mjs, source map excluded)`,
      ['bundle', 'raw KB', 'gzip KB', 'largest packages (KB in output)'],
      bundles.map((b) => [b.name, Number(kb(b.rawBytes)), Number(kb(b.gzipBytes)), b.topPackages.map((t) => `${t.input} ${kb(t.bytes)}`).join(', ')]),
    ),
  );
  for (const b of bundles.filter((x) => x.kind === 'lambda')) {
    report.log(`  ${b.name} top inputs: ${b.top.map((t) => `${t.input.replace(/^node_modules\//, '')} ${kb(t.bytes)}`).join(' | ')}`);
  }
}

function coldInitSection(bundles: BuiltBundle[], bare: BuiltBundle, processes: number, report: Reporter): ColdInitResult {
  report.progress(`cold init: ${processes} fresh processes per bundle, round-robin`);
  const cold = benchColdInit(bundles, bare, processes);
  printColdInit(cold, report);
  judgeColdInit(cold, report);
  return cold;
}

function printColdInit(cold: ColdInitResult, report: Reporter): void {
  report.log(
    table(
      `Cold init: await import(bundle) in fresh node processes (median of ${cold.processesPerBundle}; bare Node = empty module ${cold.bareNodeMs} ms)`,
      ['bundle', 'median ms', 'p90 ms', 'minus bare ms'],
      [
        ...Object.entries(cold.lambdas).map(([n, e]) => [n, e.medianMs, e.p90Ms, e.overBareMs]),
        ...Object.entries(cold.naive).map(([n, e]) => [`naive/${n}`, e.medianMs, e.p90Ms, e.overBareMs]),
      ],
    ),
  );
}

/** Ratios to the naive Lambda of the same kind in this run: absolute times differ ~2x between machines. */
function judgeColdInit(cold: ColdInitResult, report: Reporter): void {
  for (const [name, e] of Object.entries(cold.lambdas)) {
    const { naive, maxColdRatio } = lambdaTarget(name);
    const base = cold.naive[naive]!;
    const ratio = round(e.overBareMs / base.overBareMs, 2);
    report.target(`cold init ${name} <= ${maxColdRatio}x naive/${naive} (over bare Node)`, ratio <= maxColdRatio, `${ratio}x (${e.overBareMs} vs ${base.overBareMs} ms)`);
  }
}
