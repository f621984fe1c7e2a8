/**
 * bench/results.json: what a run measured, section by section, with the settings and targets behind
 * it. bench/readme-figures.ts and test/unit/bench.test.ts read it, so its shape and field names are an
 * interface: a section only adds fields.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { BUNDLING_OPTIONS_SOURCE, type BuiltBundle } from './bundles.js';
import type { ColdInitResult } from './cold-init.js';
import type { CostResult } from './cost.js';
import type { HandlerLevelResult } from './handlers.js';
import type { MemoryResult } from './memory.js';
import type { PresignResult } from './presign.js';
import type { TargetLine } from './report.js';
import { README_PATH } from './options.js';
import { updateReadme, updateScaleDoc } from './readme-figures.js';
import { SCALE_DOC_PATH } from './scale-figures.js';
import { TARGETS, type BenchSettings } from './settings.js';
import type { SweepResult } from './sweep.js';

export interface ResultsMeta {
  readonly date: string;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string | undefined;
  readonly quick: boolean;
  readonly settings: BenchSettings;
  readonly targets: typeof TARGETS;
  readonly bundlingOptions: string;
}

/** Handler CPU: the judged figures (DynamoDB stubbed at DocumentClient#send) and, for information, the SDK stack's. */
export type HandlerSectionResult = { readonly stub: 'send' } & HandlerLevelResult & {
    readonly sdkStackIncluded: { readonly stub: 'wire' } & HandlerLevelResult;
  };

export type BundleSizeResult = Record<string, Pick<BuiltBundle, 'rawBytes' | 'gzipBytes' | 'top' | 'topPackages'>>;

/** Fields in the order they are written; a section that did not run (--only) has none. */
export interface BenchResults {
  meta: ResultsMeta;
  presign?: PresignResult;
  handler?: HandlerSectionResult;
  bundleSize?: BundleSizeResult;
  coldInit?: ColdInitResult;
  memory?: MemoryResult;
  sweep?: SweepResult;
  cost?: CostResult;
  targets?: readonly TargetLine[];
}

/** Taken when the run starts. */
export function resultsMeta(quick: boolean, settings: BenchSettings): ResultsMeta {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    quick,
    settings,
    targets: TARGETS,
    bundlingOptions: BUNDLING_OPTIONS_SOURCE,
  };
}

export function writeResults(path: string, results: BenchResults, log: (line: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nwrote ${path}`);
}

/** The README and docs/scale.md quote the latest full run, generated from its results (bench/readme-figures.ts). */
export function rewriteReadmeFigures(results: BenchResults, log: (line: string) => void): void {
  updateReadme(README_PATH, results);
  log('README.md: performance figures rewritten from this run');
  updateScaleDoc(SCALE_DOC_PATH, results);
  log('docs/scale.md: measured figures rewritten from this run');
}
