/**
 * Not part of `npm run bench`: where a Lambda's cold import goes. Bundles it with the CDK options,
 * runs N fresh `node --cpu-prof` processes importing it, maps every sample through the bundle's source
 * map and prints self time per package (or Node-internal function: compile, builtin loading, GC).
 *   node --import tsx bench/profile-cold.ts [lambda=azure] [processes=5]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildBundles, bundleSpecs, ROOT } from './bundles.js';
import { LAMBDA_ENV } from './fixtures.js';
import { NODE } from './memory.js';
import { table } from './report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const lambda = process.argv[2] ?? 'azure';
const processes = Number(process.argv[3] ?? 5);
const spec = bundleSpecs().find((s) => s.name === lambda);
if (!spec) throw new Error(`no Lambda ${lambda}`);
const { dir, bundles } = await buildBundles([spec]);
const profDir = mkdtempSync(join(tmpdir(), 'broker-cold-prof-'));
try {
  const bundle = bundles[0]!;
  for (let i = 0; i < processes; i++) {
    const run = spawnSync(NODE, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', profDir, join(ROOT, 'bench/cold-child.mjs'), pathToFileURL(bundle.file).href], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: ':UTC', ...LAMBDA_ENV },
    });
    if (run.status !== 0) throw new Error(run.stderr);
  }
  const map = new SourceMap(JSON.parse(readFileSync(`${bundle.file}.map`, 'utf8')));
  const totals = new Map<string, number>();
  let grand = 0;
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  for (const file of files) {
    const p = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const { callFrame: cf } = byId.get(id)!;
      let key: string;
      if (cf.url.endsWith('.mjs') && cf.url.includes(dir)) {
        const source = map.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string };
        const src = source.originalSource;
        const pkg = src?.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
        key = pkg ? `bundle: ${pkg}` : src ? `bundle: ${src.replace(/.*?(shared|lambdas)\//, '$1/')}` : 'bundle: esbuild module wrappers (module init)';
      } else {
        key = `node: ${cf.functionName || cf.url || '(native)'}`;
      }
      const t = p.timeDeltas[i] ?? 0;
      totals.set(key, (totals.get(key) ?? 0) + t);
      grand += t;
    });
  }
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 25);
  console.log(
    table(
      `${lambda}: cold process self time by origin (mean of ${files.length} profiled processes, whole process incl. Node bootstrap; profiling adds overhead)`,
      ['origin', 'ms', '%'],
      rows.map(([k, t]) => [k, Number((t / 1000 / files.length).toFixed(2)), Number(((100 * t) / grand).toFixed(1))]),
    ),
  );
  console.log(`total ${(grand / 1000 / files.length).toFixed(1)} ms per process; bundle ${(bundle.rawBytes / 1000).toFixed(1)} KB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(profDir, { recursive: true, force: true });
}
