/**
 * The README's performance table, generated from bench/results.json so it can never quote a figure no
 * run produced, and the blocks of docs/scale.md generated the same way (bench/scale-figures.ts).
 * `npm run bench` (a full run: every section, default output) rewrites them; this file run directly
 * (`npm run bench:readme`) re-renders them from the results file there is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCALE_BLOCKS, SCALE_DOC_PATH } from './scale-figures.js';

/** The markers around a generated block: `figures` is the README's table, `scale-*` docs/scale.md's. */
export const markers = (name: string): readonly [begin: string, end: string] => [
  `<!-- bench:${name}:begin (generated from bench/results.json by npm run bench; do not edit by hand) -->`,
  `<!-- bench:${name}:end -->`,
];
export const [BEGIN, END] = markers('figures');

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the results file's shape is BenchResults in bench/results-file.ts

const range = (values: number[], unit: string, digits = 1) => {
  const r = (v: number) => Number(v.toFixed(digits));
  const lo = r(Math.min(...values));
  const hi = r(Math.max(...values));
  return lo === hi ? `${lo} ${unit}` : `${lo}–${hi} ${unit}`;
};
const kb = (bytes: number) => Number((bytes / 1000).toFixed(1));

/** The table, from a full run's results. Throws naming the section when one is missing. */
export function renderFigures(r: Json): string {
  for (const section of ['presign', 'handler', 'coldInit', 'bundleSize', 'memory', 'sweep', 'cost', 'targets']) {
    if (!r[section]) throw new Error(`bench/results.json has no "${section}": run the whole bench (npm run bench) first`);
  }
  const api = ['azure', 'alibaba', 'leases'];
  const s3 = ['s3-upload-events', 'retention-sweep', 'lease-settler'];
  const cold = (names: string[]) => names.map((n) => r.coldInit.lambdas[n].overBareMs as number);
  const size = (names: string[]) => names.map((n) => kb(r.bundleSize[n].rawBytes));
  const naiveCold = (n: string) => r.coldInit.naive[n].overBareMs as number;
  const naiveSize = (n: string) => kb(r.bundleSize[`naive/${n}`].rawBytes);
  const passed = r.targets.filter((t: Json) => t.pass).length;
  const { presign: p, handler: h, sweep: sw, cost: c } = r;
  const naiveApi = ['azure-start-pending-upload', 'alibaba-apply-file-upload-lease'];
  const rows: string[][] = [
    [
      'presign one PUT URL',
      `${p.cases.alibaba.ours.usPerUrl} µs (Alibaba), ${p.cases.azure.ours.usPerUrl} µs (Azure); byte-identical: ${p.identical ? 'yes' : 'NO'}`,
      `\`getSignedUrl\` ${range([p.cases.alibaba.getSignedUrl.usPerUrl, p.cases.azure.getSignedUrl.usPerUrl], 'µs', 0)}: ${range([p.cases.alibaba.speedup, p.cases.azure.speedup], '×', 0).replace(' ×', '×')} slower`,
      `≤ ${r.meta.targets.presignMaxUs} µs, ≥ ${r.meta.targets.presignMinSpeedup}×`,
    ],
    [
      'handler CPU per lease, p50 / p99',
      `${h.azure.ours.p50Ms} / ${h.azure.ours.p99Ms} ms (Azure), ${h.alibaba.ours.p50Ms} / ${h.alibaba.ours.p99Ms} ms (Alibaba)`,
      `${range([h.azure.naive.p50Ms, h.alibaba.naive.p50Ms], 'ms', 2)} p50: ${range([h.azure.speedupP50, h.alibaba.speedupP50], '×').replace(' ×', '×')} slower`,
      `≤ ${r.meta.targets.handlerMaxP50Ms} ms, ≥ ${r.meta.targets.handlerMinSpeedup}×`,
    ],
    [
      'cold init over bare Node (median of fresh processes)',
      `${range(cold(api), 'ms')} (API), ${range(cold(s3), 'ms')} (event, sweep, settler), ${cold(['lease-events'])[0]} ms (lease events)`,
      `${range(naiveApi.map(naiveCold), 'ms')} (naive API), ${naiveCold('s3-upload-event')} ms (naive event)`,
      'API ≤ 0.75× naive API; S3 Lambdas ≤ 1.25× naive event (`bench/bundles.ts`)',
    ],
    [
      'bundle, minified',
      `${range(size(api), 'KB')} (API), ${range(size(s3), 'KB')} (event, sweep, settler), ${size(['lease-events'])[0]} KB (lease events)`,
      `${range(naiveApi.map(naiveSize), 'KB')} (naive API), ${naiveSize('s3-upload-event')} KB (naive event)`,
      'API ≤ 350 KB, S3 Lambdas ≤ 450 KB, lease events ≤ 50 KB',
    ],
    ['RSS over 2 × 10,000 invocations after warm-up', `+${r.memory.rssSteadyGrowthMB} MB`, '', `< ${r.meta.targets.memoryMaxGrowthMB} MB`],
    [
      `sweep: ${sw.leases} due leases, +${sw.latencyMs.dynamodb} ms a DynamoDB and +${sw.latencyMs.s3} ms an S3 request`,
      `${sw.ours.leasesPerSecond} leases/s; all expired, all objects gone: ${sw.ours.verified && sw.oneByOne.verified ? 'yes' : 'NO'}`,
      `one-by-one: ${sw.oneByOne.leasesPerSecond} leases/s, ${sw.speedup}× slower`,
      `≥ ${r.meta.targets.sweepMinSpeedup}×`,
    ],
    ...(['azure', 'alibaba'] as const).map((k) => {
      const { ours, naive } = c.contracts[k];
      return [
        `${k === 'azure' ? 'Azure' : 'Alibaba'} lease lifecycle: DynamoDB + S3 requests; cost per million uploads`,
        `${Number((ours.dynamodbRequests + ours.s3Requests).toFixed(2))} requests; $${ours.totalUsd}`,
        `${Number((naive.dynamodbRequests + naive.s3Requests).toFixed(2))} requests; $${naive.totalUsd}`,
        'fewer requests; no replaceable read',
      ];
    }),
  ];
  return [
    BEGIN,
    `Run of ${r.meta.date.slice(0, 10)}: Node ${r.meta.node}, ${r.meta.cpus} CPUs (${r.meta.cpuModel ?? 'unknown CPU'}); ${passed} of ${r.targets.length} targets PASS. Prices: us-east-1 list prices of ${c.pricesAsOf} (\`bench/prices.ts\`), ${c.assumedUploadBytes / 1024 / 1024} MB kept 12 h per upload.`,
    '',
    '| | this project | naive / reference | target |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    END,
  ].join('\n');
}

/**
 * Replaces the block between a pair of markers (the README table's unless given) with `block`, which
 * carries the same markers; undefined when the text has no such block.
 */
export function withFigures(text: string, block: string, [begin, end]: readonly [string, string] = [BEGIN, END]): string | undefined {
  const start = text.indexOf(begin);
  const stop = start === -1 ? -1 : text.indexOf(end, start);
  if (stop === -1) return undefined;
  return text.slice(0, start) + block + text.slice(stop + end.length);
}

/** docs/scale.md's generated blocks, rendered from a full run's results, markers included, by name. */
export function renderScaleFigures(results: Json): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SCALE_BLOCKS).map(([name, render]) => {
      const [begin, end] = markers(name);
      return [name, [begin, render(results), end].join('\n')];
    }),
  );
}

/** `text` with each named block replaced; throws naming a block `where` lacks. */
export function withBlocks(text: string, blocks: Record<string, string>, where = 'the text'): string {
  for (const [name, block] of Object.entries(blocks)) {
    const next = withFigures(text, block, markers(name));
    if (next === undefined) throw new Error(`${where} has no ${markers(name).join(' ... ')} block`);
    text = next;
  }
  return text;
}

const rewrite = (path: string, blocks: Record<string, string>) => writeFileSync(path, withBlocks(readFileSync(path, 'utf8'), blocks, path));

export function updateReadme(readmePath: string, results: Json): void {
  rewrite(readmePath, { figures: renderFigures(results) });
}

export function updateScaleDoc(docPath: string, results: Json): void {
  rewrite(docPath, renderScaleFigures(results));
}

/** The results `npm run bench` wrote, or one line saying to run it (not an ENOENT trace). */
export function readResults(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new Error(`${file} does not exist: run npm run bench first (it writes the file this table is made from)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  try {
    const results = readResults(join(root, 'bench', 'results.json'));
    updateReadme(join(root, 'README.md'), results);
    updateScaleDoc(SCALE_DOC_PATH, results);
  } catch (error) {
    if (process.env.DEBUG) console.error(error);
    console.error((error as Error).message);
    process.exit(2);
  }
  process.stdout.write('README.md: performance figures rewritten from bench/results.json\ndocs/scale.md: measured figures rewritten from bench/results.json\n');
}
