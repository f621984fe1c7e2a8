import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The figures in docs/reliability.md are written by the tests that measure them: each test records its
 * own section file (no two test files write the same one, so parallel workers cannot race) and the page
 * is rendered again from all of them, so it cannot go stale. `npm test` writes them under the ignored
 * reports/ folder, so a test run never changes tracked files; `npm run report:reliability` runs the
 * measuring tests with RELIABILITY_REPORT_BASE=docs to refresh the committed page.
 */
const DIR = process.env.RELIABILITY_REPORT_BASE || 'reports';
const DATA = join(DIR, 'reliability');
const PAGE = join(DIR, 'reliability.md');

type Section = Record<string, any>;

function load(): Record<string, Section> {
  const all: Record<string, Section> = {};
  for (const file of readdirSync(DATA).filter((f) => f.endsWith('.json')).sort()) {
    all[file.slice(0, -5)] = JSON.parse(readFileSync(join(DATA, file), 'utf8'));
  }
  return all;
}

function update(section: string, data: Section): void {
  mkdirSync(DATA, { recursive: true });
  writeFileSync(join(DATA, `${section}.json`), `${JSON.stringify({ ...data, measuredAt: new Date().toISOString().slice(0, 10) }, null, 2)}\n`);
  writeFileSync(PAGE, render(load()));
}

type Tally = Record<string, { runs: number; ok: number; status: Record<number, number> }>;

export function recordFuzzFigures(runsPerEndpoint: number, endpoints: Tally, leasesCreated: number) {
  const fiveHundreds = Object.values(endpoints).reduce(
    (n, t) => n + Object.entries(t.status).filter(([s]) => Number(s) >= 500).reduce((m, [, c]) => m + c, 0),
    0,
  );
  update('badInput', { runsPerEndpoint, endpoints, leasesCreated, fiveHundreds });
}

export function recordSection(section: string, data: Section) {
  update(section, data);
}

function render(all: Record<string, Section>): string {
  const lines = [
    '# Reliability and security figures',
    '',
    'Written by the tests that measure them (`npm run report:reliability`); each section says when it was last measured.',
    '',
  ];
  const bad = all.badInput;
  if (bad) {
    lines.push(`## Bad input (${bad.measuredAt})`, '', `fast-check generated up to ${bad.runsPerEndpoint} requests per endpoint (exact counts below) through the local HTTP adapter (malformed and huge path segments, \`..\`, \`%2F\`, \`%00\`, unicode and RTL marks, invalid and nested JSON, duplicate keys, 1 MB strings, repeated form fields, wrong content types, duplicate query parameters, 6 KB headers), plus generated file names.`, '');
    lines.push('| endpoint | requests | 200 | answers by status | 5xx |', '| --- | --- | --- | --- | --- |');
    for (const [name, t] of Object.entries(bad.endpoints as Tally)) {
      const statuses = Object.entries(t.status).map(([s, c]) => `${s}: ${c}`).join(', ');
      const five = Object.entries(t.status).filter(([s]) => Number(s) >= 500).reduce((m, [, c]) => m + c, 0);
      lines.push(`| ${name} | ${t.runs} | ${t.ok} | ${statuses} | ${five} |`);
    }
    lines.push('', `Outcome: ${bad.fiveHundreds} answers of 5xx; every error in its contract's format with a request id and security headers; ${bad.leasesCreated} lease records exist, exactly those answered 200; no object was created.`, '');
  }
  const faults = all.dependencyFaults;
  if (faults) {
    lines.push(`## Dependency faults (${faults.measuredAt})`, '', `DynamoDB behind real sockets that hang or drop every connection; SDK attempts bounded at ${faults.maxAttempts}, ${faults.requestTimeoutMs} ms per response.`, '', '| fault | status | time to answer |', '| --- | --- | --- |');
    for (const [name, r] of Object.entries(faults.results ?? {}) as [string, { status: number; ms: number }][]) lines.push(`| ${name} | ${r.status} | ${r.ms} ms |`);
    lines.push('', 'Throttling (injected with aws-sdk-client-mock) answers 503 with `Retry-After: 1`; no URL is ever returned without its lease record (test/unit/dependency-failures.test.ts). A failed DynamoDB write in the S3 event handler fails the invocation and the retry records the upload exactly once; a failed delete in the sweep leaves the lease due for the next sweep (test/integration/event-retries.test.ts). Killing `npm start` with SIGINT/SIGTERM and restarting on the same DATA_DIR loses no lease or object, and the sweep catches up at start (test/integration/local-process.test.ts).', '');
  }
  const c = all.concurrency;
  if (c) {
    lines.push(`## Concurrency (${c.measuredAt})`, '', '| scenario | outcome |', '| --- | --- |');
    if (c.azureCreateOrGet) lines.push(`| ${c.azureCreateOrGet.parallel} parallel identical Azure create-or-get | ${c.azureCreateOrGet.ok} × 200, ${c.azureCreateOrGet.distinctBlobs} blob, ${c.azureCreateOrGet.leases} lease |`);
    if (c.alibabaParallel) lines.push(`| ${c.alibabaParallel.parallel} parallel Alibaba leases | ${c.alibabaParallel.ok} × 200, ${c.alibabaParallel.distinctLeases} distinct ids, ${c.alibabaParallel.stored} records |`);
    if (c.duplicateEvents) lines.push(`| ${c.duplicateEvents.concurrent} concurrent deliveries of one S3 event | ${c.duplicateEvents.transitions} transition, ${c.duplicateEvents.noOps} no-ops |`);
    lines.push('');
  }
  const ttl = all.urlLifetime;
  if (ttl) lines.push(`## URL lifetime (${ttl.measuredAt})`, '', `With LEASE_URL_TTL_SECONDS=${ttl.ttlSeconds}: a PUT inside the lifetime got ${ttl.putWithinLifetime}, one after it ${ttl.putAfterLifetime} from storage.`, '');
  if (all.soak) lines.push(...soakSection(all.soak));
  return `${lines.join('\n')}\n`;
}

/** `npm run soak` (scripts/soak/): the run's figures and the audit's checks (the summary run.ts records). */
function soakSection(soak: Section): string[] {
  const lines = [
    `## Soak (${soak.measuredAt})`,
    '',
    `\`npm run soak\`: ${soak.clients} clients for ${soak.durationSeconds} s against \`npm start\` as a process, whole lifecycles of both contracts (consumed and abandoned uploads, unused leases, wrong-MD5 and oversized PUTs, consume races, Azure create-or-get repeats, revived leases${soak.azureUploads === 'blob-front' ? ', multi-blob containers written through the Blob front with Put Blob' : ''}; Azure uploads \`${soak.azureUploads ?? 's3-presigned'}\`), with faults injected (\`LOCAL_FAULTS=${soak.faults}\`) and one kill -9 and restart on the same DATA_DIR; then the audit of the store, the bucket and events.jsonl (\`reports/soak.json\` has every figure).`,
    '',
    `**${soak.lifecycles} lifecycles (${soak.perSecond}/s)**${soak.byScenario ? ` (${Object.entries(soak.byScenario as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}; faults injected and survived: ${Object.entries(soak.injected as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ')}; restart: down ${soak.restartDownSeconds} s; broker RSS peak ${soak.memory.peakMb} MB, growth after warm-up ${soak.memory.growthMb.join(' / ')} MB (limit ${soak.memory.limitMb}).`,
    '',
    '| operation | requests | p50 | p99 | answers by status |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [op, o] of Object.entries(soak.operations as Record<string, { count: number; p50Ms: number; p99Ms: number; statuses: Record<string, number> }>)) {
    lines.push(`| ${op} | ${o.count} | ${o.p50Ms} ms | ${o.p99Ms} ms | ${Object.entries(o.statuses).map(([k, v]) => `${k}: ${v}`).join(', ')} |`);
  }
  lines.push('', '| audit check | checked | result |', '| --- | --- | --- |');
  for (const check of soak.checks as { name: string; checked: number; failures: number }[]) lines.push(`| ${check.name} | ${check.checked} | ${check.failures === 0 ? 'clean' : `${check.failures} failures`} |`);
  lines.push('', `Outcome: ${soak.ok ? 'audit clean' : 'AUDIT FAILED'}; 5xx other than injected faults: ${soak.unexpected5xx}.`, '');
  return lines;
}
