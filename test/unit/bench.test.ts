import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { bundleSpecs, LAMBDA_TARGETS, lambdaTarget } from '../../bench/bundles.js';
import { eventFor, ISSUING_OPERATION, ISSUING_SURFACES, issuingOperation } from '../../bench/fixtures.js';
import { BEGIN, END, markers, readResults, renderFigures, renderScaleFigures, withBlocks, withFigures } from '../../bench/readme-figures.js';
import { SCALE_BLOCKS, SCALE_DOC_PATH } from '../../bench/scale-figures.js';
import { sdkPresign } from '../../bench/sdk-presign.js';
import type { AwsCredentialIdentity } from '@smithy/types';
import fc from 'fast-check';
import { createPresigner } from '../../shared/adapters/presign.js';
import { operationById, routeKey, type OperationId } from '../../shared/contracts/registry.js';
import { scratchDir } from '../support/scratch.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAMBDAS = ['alibaba', 'azure', 'blob-front-key', 'lease-events', 'lease-settler', 'leases', 'retention-sweep', 's3-upload-events'];

/**
 * `npm run bench` end to end on smoke-test counts: every section runs and every figure lands in the
 * JSON. Speed is not checked here (the bench prints its own PASS/FAIL lines); URL identity is.
 */
describe('README performance figures', () => {
  test('come from a generated block (npm run bench writes it from bench/results.json), not typed', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf(BEGIN) + BEGIN.length, readme.indexOf(END));
    expect(readme.indexOf(BEGIN)).toBeGreaterThan(-1);
    expect(block).toMatch(/^\nRun of \d{4}-\d{2}-\d{2}: Node v\d+/);
    expect(block.split('\n').filter((l) => l.startsWith('| ')).length).toBeGreaterThanOrEqual(9);
  });

  test('are exactly what the committed bench/results.json renders to, and it says where and when it ran', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const results = readResults(join(ROOT, 'bench', 'results.json')) as { meta: Record<string, unknown> };
    expect(withFigures(readme, renderFigures(results))).toBe(readme);
    expect(results.meta).toMatchObject({
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      node: expect.stringMatching(/^v\d+\./),
      cpus: expect.any(Number),
      cpuModel: expect.any(String),
      quick: false,
    });
  });

  test('are not typed anywhere else in the README: no µs or speed-up (N×) figure outside the generated block', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const outside = readme.slice(0, readme.indexOf(BEGIN)) + readme.slice(readme.indexOf(END));
    expect(outside.match(/\d[\d.,–-]*\s*µs|\d[\d.]*×/g) ?? []).toEqual([]);
  });
});

/** docs/scale.md quotes the sweep and cost sections the same way: generated blocks, nothing typed. */
describe('docs/scale.md measured figures', () => {
  const doc = () => readFileSync(SCALE_DOC_PATH, 'utf8');
  const pairs = Object.keys(SCALE_BLOCKS).map(markers);

  test('are exactly what the committed bench/results.json renders to, in one block per bench section', () => {
    const text = doc();
    expect(pairs).toHaveLength(2);
    for (const [begin, end] of pairs) {
      expect(text.indexOf(begin)).toBeGreaterThan(-1);
      expect(text.indexOf(end)).toBeGreaterThan(text.indexOf(begin));
    }
    expect(withBlocks(text, renderScaleFigures(readResults(join(ROOT, 'bench', 'results.json'))))).toBe(text);
  });

  test('are not typed outside the generated blocks', () => {
    const outside = pairs.reduce((text, [begin, end]) => text.slice(0, text.indexOf(begin)) + text.slice(text.indexOf(end) + end.length), doc());
    // Anywhere on the page: a throughput as the sweep bench reports it ("<number> leases/s"; the model's
    // arithmetic counts writes/s, deletes/s, expirations or lifecycles per second), and a speed-up as
    // written next to its number ("<number>×"). The model's multiplications are spaced ("4 × 1,000",
    // "uploads/s × 3"), and a multiple of a load names what it multiplies ("At 10× that"), so neither matches.
    expect(outside.match(/\d[\d,.]*\s*leases\/s|\d[\d.]*×(?! that)/g) ?? []).toEqual([]);
    // In the prose of the sections that quote the bench (a heading naming `npm run bench`, up to the next
    // heading): no dollar amount, percentage or decimal either, the forms the cost bench's counts and prices take.
    // (The design's constants there are whole numbers: "1,000 leases a shard", "100 leases a request";
    // fixed monthly list prices sit under their own heading, "Not per upload".)
    const benchProse = [...outside.matchAll(/^#+ .*`npm run bench`.*$([\s\S]*?)(?=^#|(?![\s\S]))/gm)].map((m) => m[1]!);
    expect(benchProse).toHaveLength(2);
    expect(benchProse.join('\n').match(/\$\s*\d|\d\s*%|\d\.\d/g) ?? []).toEqual([]);
  });
});

describe('npm run bench:readme without results', () => {
  test('says in one line to run the bench first (no ENOENT trace)', () => {
    const missing = join(scratchDir('ulb-results-'), 'results.json');
    expect(() => readResults(missing)).toThrow(`${missing} does not exist: run npm run bench first (it writes the file this table is made from)`);
  });
});

describe('bench targets', () => {
  test('every Lambda has a bundle and cold-init target against a naive Lambda the bench builds; an unknown one is refused', () => {
    const specs = bundleSpecs();
    const lambdas = specs.filter((s) => s.kind === 'lambda').map((s) => s.name).sort();
    expect(lambdas).toEqual(LAMBDAS);
    expect(Object.keys(LAMBDA_TARGETS).sort()).toEqual(LAMBDAS);
    const naive = new Set(specs.filter((s) => s.kind === 'naive').map((s) => s.name.replace(/^naive\//, '')));
    for (const name of lambdas) expect(naive.has(lambdaTarget(name).naive)).toBe(true);
    expect(() => lambdaTarget('new-lambda')).toThrow(/LAMBDA_TARGETS/);
  });
});

/**
 * The bench's traffic names its operations by id: OPERATIONS is ordered by contract, and a position
 * silently became another operation once (the "Alibaba event" routed to an Azure PUT).
 */
describe('bench fixtures: operations by id', () => {
  /** An API Gateway path template as a pattern: a {name} segment is one segment, {name+} the rest. */
  const templatePattern = (path: string) =>
    new RegExp(
      `^${path
        .split('/')
        .map((seg) => (/^\{.+\+\}$/.test(seg) ? '.+' : /^\{.+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}$`,
    );
  const templateParameters = (path: string) => [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]).sort();

  test("each issuing surface's event is a request to that surface's lease-issuing operation", () => {
    expect(ISSUING_SURFACES).toEqual(['azure', 'alibaba']);
    expect(ISSUING_OPERATION).toEqual({ azure: 'AzureWorkspaceCodeVersionStartPendingUpload', alibaba: 'ApplyFileUploadLease' });
    for (const surface of ISSUING_SURFACES) {
      const op = issuingOperation(surface);
      const event = eventFor(surface);
      expect(op.surface).toBe(surface);
      expect(event.routeKey).toBe(routeKey(op));
      expect(event.requestContext.http.method).toBe(op.method);
      expect(event.rawPath).toMatch(templatePattern(op.path));
      expect(Object.keys(event.pathParameters ?? {}).sort()).toEqual(templateParameters(op.path));
    }
    expect(eventFor('alibaba').routeKey).toBe('POST /{WorkspaceId}/datacenter/category/{CategoryId}');
  });

  test('an id the registry does not have fails loudly', () => {
    expect(() => operationById('NoSuchOperation' as OperationId)).toThrow(/No operation "NoSuchOperation" in the registry/);
  });

  test('no bench module picks an operation by its position', () => {
    const bench = join(ROOT, 'bench');
    const sources = readdirSync(bench, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|mjs)$/.test(f));
    const positional = /\b(?:OPERATIONS|operationsOf\([^)]*\)|operations)\s*(?:\[|\.at\()/;
    const offenders = sources.flatMap((file) =>
      readFileSync(join(bench, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (positional.test(line) ? [`bench/${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(sources.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});

describe('bench/run.ts --quick', () => {
  test('runs every section and writes every field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
    const out = join(dir, 'results.json');
    try {
      const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'node'), ['--import', 'tsx', 'bench/run.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, BENCH_QUICK: '1', BENCH_RESULTS: out, NODE_OPTIONS: '' },
        timeout: 90_000,
      });
      expect(run.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^Targets$/m);
      expect(run.stdout).toMatch(/^(PASS|FAIL) {2}presign /m);

      const r = JSON.parse(readFileSync(out, 'utf8'));
      const num = expect.any(Number);
      expect(r.meta).toMatchObject({ quick: true, node: expect.stringMatching(/^v\d+\./) });

      // 1. presign: both cases, both implementations, and byte-identical URLs.
      for (const c of ['alibaba', 'azure']) {
        expect(r.presign.cases[c]).toMatchObject({ ours: { usPerUrl: num }, getSignedUrl: { usPerUrl: num }, speedup: num });
      }
      expect(r.presign.identity.map((i: { case: string }) => i.case).sort()).toEqual(['alibaba', 'alibaba+session', 'azure', 'azure+session']);
      expect(r.presign.identical).toBe(true);

      // 2. handler CPU per contract, ours and naive.
      const latency = { p50Ms: num, p99Ms: num, meanMs: num, samples: num };
      for (const c of ['azure', 'alibaba']) {
        expect(r.handler[c]).toMatchObject({ ours: latency, naive: latency, speedupP50: num });
        expect(r.handler.sdkStackIncluded[c]).toMatchObject({ ours: latency, naive: latency });
      }

      // 3. cold init per Lambda, the naive baseline and bare Node.
      expect(Object.keys(r.coldInit.lambdas).sort()).toEqual(LAMBDAS);
      for (const name of LAMBDAS) {
        expect(r.coldInit.lambdas[name]).toMatchObject({ medianMs: num, p90Ms: num, overBareMs: num, processes: 2 });
      }
      expect(Object.keys(r.coldInit.naive).sort()).toEqual(['alibaba-apply-file-upload-lease', 'azure-start-pending-upload', 's3-upload-event']);
      expect(r.coldInit.bareNodeMs).toEqual(num);

      // 4. bundle size per Lambda with its largest inputs.
      for (const name of LAMBDAS) {
        const b = r.bundleSize[name];
        expect(b).toMatchObject({ rawBytes: num, gzipBytes: num });
        expect(b.gzipBytes).toBeLessThan(b.rawBytes);
        expect(b.top).toHaveLength(5);
        expect(b.top[0]).toEqual({ input: expect.any(String), bytes: num });
      }

      // 5. memory.
      const snap = { rssMB: num, heapUsedMB: num, heapTotalMB: num, externalMB: num };
      expect(r.memory).toMatchObject({ init: snap, warm: snap, afterAzure: snap, afterAlibaba: snap, rssGrowthMB: num, rssSteadyGrowthMB: num, heapGrowthMB: num });

      // 6. sweep: both sweeps, with and without the modelled latency, each verified afterwards.
      const sweepRun = { leases: 50, seconds: num, leasesPerSecond: num, verified: true, leasesLeft: 0, objectsLeft: 0, report: { examined: 50, expired: 50, failed: 0 } };
      expect(r.sweep).toMatchObject({ leases: 50, latencyMs: { dynamodb: 5, s3: 20 }, ours: sweepRun, oneByOne: sweepRun, speedup: num, withoutLatency: { ours: sweepRun, oneByOne: sweepRun, speedup: num } });

      // 7. cost: counted lifecycles for both contracts, ours and naive, priced by service.
      for (const contract of ['azure', 'alibaba']) {
        for (const side of ['ours', 'naive']) {
          const f = r.cost.contracts[contract][side];
          expect(f.requests['s3.PutObject (client, presigned)']).toBe(1);
          expect(f.dynamodbRequests).toBeGreaterThan(0);
          expect(f.perMillion.map((l: { service: string }) => l.service)).toEqual(['API Gateway', 'Lambda', 'DynamoDB', 'S3', 'EventBridge', 'CloudWatch']);
          expect(f.totalUsd).toBeGreaterThan(0);
        }
        // The happy path of ours reads nothing in DynamoDB before the sweep.
        expect(r.cost.contracts[contract].ours.reads.filter((x: string) => !x.startsWith('sweep:'))).toEqual(contract === 'alibaba' ? ['upload: s3.HeadObject'] : []);
      }
      expect(r.targets.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^cost azure: fewer/), expect.stringMatching(/^cost alibaba: no happy-path read/)]));

      expect(r.targets.length).toBeGreaterThanOrEqual(17);
      for (const t of r.targets) expect(t).toEqual({ name: expect.any(String), pass: expect.any(Boolean), detail: expect.any(String) });

      // The README's table is rendered from results like these, each figure from them.
      const figures = renderFigures(r);
      expect(figures).toContain(`${r.sweep.ours.leasesPerSecond} leases/s`);
      expect(figures).toContain(`$${r.cost.contracts.azure.ours.totalUsd}`);
      expect(figures).toContain(`${r.presign.cases.alibaba.ours.usPerUrl} µs (Alibaba)`);
      expect(figures).toContain(`+${r.memory.rssSteadyGrowthMB} MB`);
      expect(withFigures(`a\n${BEGIN}\nold\n${END}\nb`, figures)).toBe(`a\n${figures}\nb`);
      const { cost: _c, ...withoutCost } = r;
      expect(() => renderFigures(withoutCost)).toThrow(/"cost"/);
      // So are docs/scale.md's blocks.
      const scale = renderScaleFigures(r);
      expect(scale['scale-sweep']).toContain(`**${r.sweep.speedup}×** the baseline`);
      expect(scale['scale-cost']).toContain(`**$${r.cost.contracts.alibaba.ours.totalUsd.toFixed(2)}**`);
      expect(() => renderScaleFigures(withoutCost)).toThrow(/"cost"/);
      expect(() => withBlocks(`${BEGIN}\n${END}`, scale, 'docs/scale.md')).toThrow('docs/scale.md has no <!-- bench:scale-sweep:begin');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/**
 * The presigner signs with node:crypto directly; this holds it to byte-identity with the SDK's
 * getSignedUrl(PutObjectCommand) over random keys, headers, clocks, lifetimes, credentials, regions
 * and endpoints. (Declared content types are made signable, as the broker does; without one the
 * SDK is called without signableHeaders, as its default content type would otherwise be signed.)
 */
describe('presigner: byte-identical to getSignedUrl for any input', () => {
  const clients = new Map<string, S3Client>();
  const sdkClient = (region: string, endpoint: string | undefined, credentials: AwsCredentialIdentity) => {
    const id = JSON.stringify([region, endpoint, credentials]);
    let client = clients.get(id);
    if (!client) {
      client = new S3Client({
        region,
        credentials: { ...credentials },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      });
      clients.set(id, client);
    }
    return client;
  };
  const sdkUrl = sdkPresign;

  const segment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }).filter((s) => !s.includes('/'));
  const key = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `tmp/${parts.join('/')}`);
  const contentType = fc.constantFrom(
    'application/pdf',
    'text/plain',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'text/markdown; charset=utf-8',
    'text/plain;  charset="utf-8"',
    'text/plain\tx',
  );
  const md5 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64'));
  const spec = fc.record(
    {
      key,
      expiresInSeconds: fc.integer({ min: 1, max: 604_800 }),
      contentType,
      contentMd5: md5,
      contentLength: fc.integer({ min: 0, max: 5_000_000_000 }),
    },
    { requiredKeys: ['key', 'expiresInSeconds'] },
  );
  const clock = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31, 23, 59, 59, 999) });
  const credentials = fc.record(
    {
      accessKeyId: fc.stringMatching(/^(AKIA|ASIA)[A-Z0-9]{16}$/),
      secretAccessKey: fc.stringMatching(/^[A-Za-z0-9/+]{40}$/),
      sessionToken: fc.stringMatching(/^[A-Za-z0-9/+=]{20,200}$/),
    },
    { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
  );
  const target = fc.constantFrom(
    { region: 'eu-west-1', bucket: 'upload-bucket', endpoint: undefined },
    { region: 'us-east-1', bucket: 'upload-bucket', endpoint: undefined },
    { region: 'cn-north-1', bucket: 'upload-bucket', endpoint: undefined },
    { region: 'us-gov-west-1', bucket: 'upload-bucket', endpoint: undefined },
    { region: 'eu-west-1', bucket: 'my.dotted.bucket', endpoint: undefined },
    { region: 'eu-west-1', bucket: 'upload-bucket', endpoint: 'http://localhost:4566' },
    { region: 'ap-southeast-2', bucket: 'upload-bucket', endpoint: 'https://s3.example.internal' },
  );

  test('random specs, clocks, credentials and endpoints', async () => {
    await fc.assert(
      fc.asyncProperty(spec, clock, credentials, target, async (s, now, creds, { region, bucket, endpoint }) => {
        const ours = createPresigner({ region, bucket, credentials: creds, ...(endpoint ? { endpoint } : {}) });
        expect(await ours.presignPut(s, now)).toBe(await sdkUrl(sdkClient(region, endpoint, creds), bucket, s, now));
      }),
      { numRuns: 300 },
    );
    for (const client of clients.values()) client.destroy();
  }, 60_000);

  test('a lifetime over 7 days is refused by both', async () => {
    const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const s = { key: 'tmp/a/b.pdf', expiresInSeconds: 604_801 };
    await expect(createPresigner({ region: 'eu-west-1', bucket: 'b', credentials: creds }).presignPut(s, Date.now())).rejects.toThrow(/one week/);
    const s3 = sdkClient('eu-west-1', undefined, creds);
    await expect(sdkUrl(s3, 'b', s, Date.now())).rejects.toThrow(/one week/);
    s3.destroy();
  });

  test('invalid credentials are refused, as the SDK refuses them', async () => {
    const bad = createPresigner({ region: 'eu-west-1', bucket: 'b', credentials: async () => ({}) as AwsCredentialIdentity });
    await expect(bad.presignPut({ key: 'tmp/a/b.pdf', expiresInSeconds: 60 }, Date.now())).rejects.toThrow('Resolved credential object is not valid');
  });
});

describe('bench/run.ts arguments', () => {
  test('an unknown --only section is refused before anything runs or is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
    const out = join(dir, 'results.json');
    try {
      const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'node'), ['--import', 'tsx', 'bench/run.ts', '--only=presing'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, BENCH_QUICK: '1', BENCH_RESULTS: out, NODE_OPTIONS: '' },
        timeout: 60_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('unknown section(s) presing');
      expect(() => readFileSync(out)).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
