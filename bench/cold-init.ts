/**
 * Cold-init section: `await import(bundle)` timed inside >= N fresh node processes per bundle, with
 * the environment a Lambda gets. Bundles are visited round-robin (the starting bundle rotates each
 * round), so load on the machine affects all of them alike; the empty module is bare Node.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuiltBundle } from './bundles.js';
import { LAMBDA_ENV } from './fixtures.js';
import { NODE } from './memory.js';
import { median, percentile, round } from './stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface ColdInitEntry {
  readonly kind: BuiltBundle['kind'];
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly overBareMs: number;
  readonly processes: number;
}

export interface ColdInitResult {
  readonly processesPerBundle: number;
  readonly bareNodeMs: number;
  readonly lambdas: Record<string, ColdInitEntry>;
  readonly naive: Record<string, ColdInitEntry>;
}

function importOnce(file: string): { ms: number; handler: string } {
  const child = spawnSync(NODE, [join(HERE, 'cold-child.mjs'), pathToFileURL(file).href], {
    encoding: 'utf8',
    // Only what a Lambda has: no NODE_OPTIONS, no compile cache, no profile from the caller.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: ':UTC', LANG: 'en_US.UTF-8', ...LAMBDA_ENV },
    timeout: 60_000,
  });
  if (child.status !== 0) throw new Error(`cold import of ${file} failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { ms: number; handler: string };
}

export function benchColdInit(bundles: BuiltBundle[], bare: BuiltBundle, processes: number): ColdInitResult {
  const all = [...bundles, bare];
  const samples = new Map<BuiltBundle, number[]>(all.map((b) => [b, []]));
  for (let round = 0; round < processes; round++) {
    for (let k = 0; k < all.length; k++) {
      const bundle = all[(k + round) % all.length]!;
      const { ms, handler } = importOnce(bundle.file);
      if (bundle.kind !== 'bare' && handler !== 'function') throw new Error(`${bundle.name}: bundle exports no handler`);
      samples.get(bundle)!.push(ms);
    }
  }
  const bareMs = median(samples.get(bare)!);
  const entry = (b: BuiltBundle): ColdInitEntry => {
    const s = samples.get(b)!;
    return { kind: b.kind, medianMs: round(median(s), 2), p90Ms: round(percentile(s, 90), 2), overBareMs: round(median(s) - bareMs, 2), processes: s.length };
  };
  return {
    processesPerBundle: processes,
    bareNodeMs: round(bareMs, 3),
    lambdas: Object.fromEntries(bundles.filter((b) => b.kind === 'lambda').map((b) => [b.name, entry(b)])),
    naive: Object.fromEntries(bundles.filter((b) => b.kind === 'naive').map((b) => [b.name.replace(/^naive\//, ''), entry(b)])),
  };
}
