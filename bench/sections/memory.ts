/** Memory section: runs bench/memory.ts (a fresh child process), prints the snapshots and the leak check. */
import { benchMemory, type MemoryResult } from '../memory.js';
import { table, type Reporter } from '../report.js';
import { TARGETS, type BenchSettings } from '../settings.js';

export function memorySection(settings: Pick<BenchSettings, 'memoryInvocations' | 'memoryWarmup'>, report: Reporter): MemoryResult {
  report.progress(`memory: fresh process, ${settings.memoryInvocations} invocations per contract`);
  const m = benchMemory({ invocations: settings.memoryInvocations, warmup: settings.memoryWarmup, level: 'send' });
  printMemory(m, report);
  report.target(
    `memory RSS growth over ${m.invocationsPerContract} per contract after warm-up < ${TARGETS.memoryMaxGrowthMB} MB (leak check)`,
    m.rssSteadyGrowthMB < TARGETS.memoryMaxGrowthMB,
    `${m.rssSteadyGrowthMB} MB`,
  );
  return m;
}

function printMemory(m: MemoryResult, report: Reporter): void {
  const row = (label: string, v: MemoryResult['init']) => [label, v.rssMB, v.heapUsedMB, v.heapTotalMB, v.externalMB];
  report.log(
    table(
      `Memory (fresh process, DynamoDB ${m.stub} stub, after gc)`,
      ['point', 'RSS MB', 'heap used MB', 'heap total MB', 'external MB'],
      [
        row('after init (+1 call per contract)', m.init),
        row(`after warm-up (${m.warmupPerContract} calls per contract)`, m.warm),
        row(`after +${m.invocationsPerContract} azure`, m.afterAzure),
        row(`after +${m.invocationsPerContract} alibaba`, m.afterAlibaba),
      ],
    ),
  );
  report.log(
    `growth from init: RSS ${m.rssGrowthMB} MB (V8 heap reservation ${m.heapTotalGrowthMB} MB, live heap ${m.heapGrowthMB} MB); ` +
      `growth over the measured ${m.invocationsPerContract}+${m.invocationsPerContract} calls after warm-up: RSS ${m.rssSteadyGrowthMB} MB`,
  );
  // The first ~1,000 calls grow RSS once (JIT code space, V8/libuv pools; the same happens in a plain
  // allocation loop without our code), so the leak check measures after that warm-up. Printed, not judged.
  report.log(`info: RSS growth from init including the one-time warm-up: ${m.rssGrowthMB} MB (live heap ${m.heapGrowthMB} MB)`);
}
