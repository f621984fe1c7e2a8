/**
 * docs/scale.md's measured figures, generated from bench/results.json like the README's table: the
 * sweep's throughput (section `sweep`) and a lease's requests and cost (section `cost`), one block
 * each. bench/readme-figures.ts puts them between their markers (a full `npm run bench`, or
 * `npm run bench:readme`). Only what a run measured is here; the page's capacity arithmetic (AWS
 * limits and the design's constants) stays prose.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the results file's shape is BenchResults in bench/results-file.ts

export const SCALE_DOC_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'scale.md');

const n = (v: number) => v.toLocaleString('en-US');
const two = (v: number) => n(Number(v.toFixed(2)));
const usd = (v: number) => `$${v.toFixed(2)}`;
const runOf = (r: Json) => `Run of ${r.meta.date.slice(0, 10)}: Node ${r.meta.node}, ${r.meta.cpus} CPUs (${r.meta.cpuModel ?? 'unknown CPU'})`;
const table = (head: string[], rows: string[][]) => [head, head.map(() => '---'), ...rows].map((cells) => `|${cells.map((c) => (c ? ` ${c} ` : ' ')).join('|')}|`);
const need = (r: Json, section: string) => {
  if (!r[section]) throw new Error(`bench/results.json has no "${section}": run the whole bench (npm run bench) first`);
};

function sweepBlock(r: Json): string {
  need(r, 'sweep');
  const sw = r.sweep;
  const verified = [sw.ours, sw.oneByOne, sw.withoutLatency.ours, sw.withoutLatency.oneByOne].every((run: Json) => run.verified);
  return [
    `${runOf(r)}; ${n(sw.leases)} due leases a sweep, every lease \`EXPIRED\` and every object gone after each of the four: ${verified ? 'yes' : 'NO'}. Modelled round trips: +${sw.latencyMs.dynamodb} ms a DynamoDB request, +${sw.latencyMs.s3} ms an S3 request.`,
    '',
    ...table(
      ['', 'leases/s', ''],
      [
        ['this sweep, modelled round trips', n(sw.ours.leasesPerSecond), `**${sw.speedup}×** the baseline (target ≥ ${r.meta.targets.sweepMinSpeedup}×)`],
        ['one-by-one baseline, modelled round trips', n(sw.oneByOne.leasesPerSecond), ''],
        ['this sweep, emulators as they are', n(sw.withoutLatency.ours.leasesPerSecond), `${sw.withoutLatency.speedup}× (information)`],
        ['one-by-one baseline, emulators as they are', n(sw.withoutLatency.oneByOne.leasesPerSecond), ''],
      ],
    ),
  ].join('\n');
}

/** Rows of cells for Azure ours, Alibaba ours, naive Azure, naive Alibaba; the naive columns merge when they agree. */
function contractTable(r: Json, rows: Array<[string, (f: Json) => string]>): string[] {
  const { azure, alibaba } = r.cost.contracts;
  const sides = [azure.ours, alibaba.ours, azure.naive, alibaba.naive];
  const cells = rows.map(([label, cell]) => [label, ...sides.map(cell)]);
  const same = cells.every((row) => row[3] === row[4]);
  const head = ['', 'Azure, ours', 'Alibaba, ours', ...(same ? ['naive (both)'] : ['naive, Azure', 'naive, Alibaba'])];
  return table(head, same ? cells.map((row) => row.slice(0, 4)) : cells);
}

function costBlock(r: Json): string {
  need(r, 'cost');
  const c = r.cost;
  const services: string[] = c.contracts.azure.ours.perMillion.map((l: Json) => l.service);
  const line = (f: Json, service: string) => f.perMillion.find((l: Json) => l.service === service);
  return [
    `${runOf(r)}; ${n(c.lifecycles)} lifecycles per contract. Per lifecycle:`,
    '',
    ...contractTable(r, [
      ['DynamoDB requests', (f) => two(f.dynamodbRequests)],
      ["S3 requests (with the client's PUT)", (f) => two(f.s3Requests)],
      ['DynamoDB read units', (f) => two(f.readUnits)],
      ['DynamoDB write units (table + due index)', (f) => `${two(f.writeUnits)} + ${two(f.indexWriteUnits)}`],
      ['lease events (EventBridge)', (f) => (f.events ? two(f.events) : 'none')],
    ]),
    '',
    `Per million uploads at the us-east-1 list prices of ${c.pricesAsOf} (\`bench/prices.ts\`), ${c.assumedUploadBytes / 1024 / 1024} MB kept 12 hours each (share of the total):`,
    '',
    ...contractTable(r, [
      ...services.map((s): [string, (f: Json) => string] => [s, (f) => `${usd(line(f, s).usd)} (${Math.round(line(f, s).share * 100)}%)`]),
      ['**total**', (f) => `**${usd(f.totalUsd)}**`],
    ]),
  ].join('\n');
}

/** docs/scale.md's generated blocks by marker name (bench:<name>:begin/end), each without its markers. */
export const SCALE_BLOCKS: Readonly<Record<string, (results: Json) => string>> = Object.freeze({
  'scale-sweep': sweepBlock,
  'scale-cost': costBlock,
});
