/**
 * How much work each section does (full or --quick) and the targets a full run is judged against.
 * Both are written to the results file's `meta`, so a figure can be read with the counts behind it.
 */
import { LAMBDA_TARGETS } from './bundles.js';

export interface BenchSettings {
  readonly presign: { readonly rounds: number; readonly timeMs: number; readonly batch: number };
  /** Handler CPU with DynamoDB stubbed at DocumentClient#send (judged). */
  readonly handler: { readonly warmup: number; readonly samples: number; readonly batch: number };
  /** Handler CPU with DynamoDB stubbed at the HTTP handler (the SDK stack included; informational). */
  readonly handlerWire: { readonly warmup: number; readonly samples: number; readonly batch: number };
  readonly coldProcesses: number;
  readonly memoryInvocations: number;
  readonly memoryWarmup: number;
  readonly sweepLeases: number;
  readonly costLifecycles: number;
}

const FULL: BenchSettings = {
  presign: { rounds: 8, timeMs: 250, batch: 16 },
  handler: { warmup: 3000, samples: 10_000, batch: 250 },
  handlerWire: { warmup: 1000, samples: 3000, batch: 250 },
  coldProcesses: 20,
  memoryInvocations: 10_000,
  memoryWarmup: 1000,
  sweepLeases: 5000,
  costLifecycles: 200,
};

/** Smoke-test counts (test/unit/bench.test.ts): every section runs, no figure means anything. */
const QUICK: BenchSettings = {
  presign: { rounds: 1, timeMs: 10, batch: 4 },
  handler: { warmup: 20, samples: 60, batch: 20 },
  handlerWire: { warmup: 10, samples: 20, batch: 10 },
  coldProcesses: 2,
  memoryInvocations: 200,
  memoryWarmup: 50,
  sweepLeases: 50,
  costLifecycles: 5,
};

export const settingsFor = (quick: boolean): BenchSettings => (quick ? QUICK : FULL);

/** The budgets behind the PASS/FAIL lines (per-Lambda bundle and cold-init budgets: bench/bundles.ts). */
export const TARGETS = {
  presignMaxUs: 25,
  presignMinSpeedup: 8,
  handlerMaxP50Ms: 0.15,
  handlerMinSpeedup: 3,
  lambdas: LAMBDA_TARGETS,
  memoryMaxGrowthMB: 10,
  sweepMinSpeedup: 10,
} as const;
