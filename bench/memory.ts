/** Memory section: a fresh child process, so nothing else the bench did is in its heap. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';
import type { StubLevel } from './stubs.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

interface Snapshot {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

const mb = (bytes: number) => round(bytes / 1024 / 1024, 2);
const view = (s: Snapshot) => ({ rssMB: mb(s.rssBytes), heapUsedMB: mb(s.heapUsedBytes), heapTotalMB: mb(s.heapTotalBytes), externalMB: mb(s.externalBytes) });

export interface MemoryResult {
  readonly invocationsPerContract: number;
  readonly warmupPerContract: number;
  readonly stub: StubLevel;
  /** After module init and one call per contract: what a Lambda has after its first request. */
  readonly init: ReturnType<typeof view>;
  /** After the warm-up calls (first GCs, JIT, heap sizing: a one-time step in any Node process). */
  readonly warm: ReturnType<typeof view>;
  readonly afterAzure: ReturnType<typeof view>;
  readonly afterAlibaba: ReturnType<typeof view>;
  /** afterAlibaba - init. */
  readonly rssGrowthMB: number;
  /** afterAlibaba - warm: growth over the measured invocations only, the leak indicator. */
  readonly rssSteadyGrowthMB: number;
  /** Live objects after gc: the leak indicator. */
  readonly heapGrowthMB: number;
  /** What V8 reserved for its heap (young generation grows with allocation rate); part of RSS. */
  readonly heapTotalGrowthMB: number;
}

export function benchMemory(options: { invocations: number; warmup: number; level: StubLevel }): MemoryResult {
  const child = spawnSync(
    NODE,
    ['--expose-gc', '--import', 'tsx', join(HERE, 'memory-child.ts'), String(options.invocations), options.level, String(options.warmup)],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BROKER_LOG_LEVEL: 'silent' }, timeout: 300_000 },
  );
  if (child.status !== 0) throw new Error(`memory child failed (${child.status}): ${child.stderr}`);
  const line = child.stdout.trim().split('\n').at(-1)!;
  const data = JSON.parse(line) as { init: Snapshot; warm: Snapshot; afterAzure: Snapshot; afterAlibaba: Snapshot; gcExposed: boolean };
  if (!data.gcExposed) throw new Error('memory child ran without --expose-gc');
  return {
    invocationsPerContract: options.invocations,
    warmupPerContract: options.warmup,
    stub: options.level,
    init: view(data.init),
    warm: view(data.warm),
    afterAzure: view(data.afterAzure),
    afterAlibaba: view(data.afterAlibaba),
    rssGrowthMB: mb(data.afterAlibaba.rssBytes - data.init.rssBytes),
    rssSteadyGrowthMB: mb(data.afterAlibaba.rssBytes - data.warm.rssBytes),
    heapGrowthMB: mb(data.afterAlibaba.heapUsedBytes - data.init.heapUsedBytes),
    heapTotalGrowthMB: mb(data.afterAlibaba.heapTotalBytes - data.init.heapTotalBytes),
  };
}
