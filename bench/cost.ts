/**
 * Requests per lease lifecycle (issue -> upload -> verified -> 12 hours -> expired) and what a million
 * of them cost on AWS, for each contract, ours beside the naive baseline. Counted, not assumed: the
 * SDK clients of the local mode are instrumented (bench/request-counter.ts) while real lifecycles run
 * through it over HTTP, with a real PUT to the presigned URL and a sweep after the retention.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalBroker, type LocalBroker } from '../local/server.js';
import { createLeaseStore } from '../shared/adapters/lease-store.js';
import { naiveAlibabaHandler, naiveAzureHandler } from './naive/handlers.js';
import { sweepOneByOne } from './naive/sweep-one-by-one.js';
import { naiveRecordUpload } from './naive/upload-event.js';
import { eventFor, ISSUING_SURFACES, lambdaContext, type IssuingSurface } from './fixtures.js';
import { MODELLED_LATENCY_MS } from './sweep.js';
import { countRequests, type RequestCounts } from './request-counter.js';
import { PRICES, PRICES_AS_OF, type Service } from './prices.js';
import { round } from './stats.js';

/** Lambdas of one lifecycle, with their configured memory (infra/broker-functions.ts). */
const MEMORY_MB = { api: 512, 's3-upload-events': 512, 'retention-sweep': 512, 'lease-events': 256 } as const;
type LambdaName = keyof typeof MEMORY_MB;

/**
 * Reads left on the happy path of our lifecycle, each with why no conditional write or index
 * projection replaces it. A read not listed here fails the bench's target.
 */
export const JUSTIFIED_READS: Readonly<Record<string, string>> = Object.freeze({
  'upload: s3.HeadObject':
    'Alibaba leases declare a content type; the S3 event does not carry the stored one, so only a HEAD can compare it (Azure leases declare none and skip it)',
  'sweep: dynamodb.Query': 'the due index is where the work is found: one page per 1,000 due leases per shard',
  'sweep: dynamodb.BatchGetItem':
    'the object is deleted before the conditional transition, and a delete cannot be conditional on the lease; the index lags the table, so a consistent read (100 leases a request) must confirm the lease is still over before its file goes',
});

/** Records per lease-events pipe request and enrichment invocation at load (the pipe's batch size). */
export const PIPE_BATCH = 10;
/** Average upload assumed for the 12 hours of storage (the only size-dependent figure). */
export const ASSUMED_UPLOAD_BYTES = 1024 * 1024;
/** Per invocation in CloudWatch Logs beyond the broker's own lines: Lambda's START, END and REPORT lines. */
const PLATFORM_LOG_BYTES = 350;
/** An enrichment invocation: pure CPU over a batch, no requests (modelled; the local mode has no pipe). */
const ENRICHMENT_MS = 5;
/** The enrichment's Embedded Metric Format line per invocation (shared/metrics.ts), not written locally. */
const EMF_LOG_BYTES = 600;

export interface LifecycleFigures {
  /** Per lifecycle: requests by service.command (S3 includes the client's own PUT). */
  readonly requests: Record<string, number>;
  readonly dynamodbRequests: number;
  readonly s3Requests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly indexWriteUnits: number;
  readonly lambdaInvocations: Partial<Record<LambdaName, number>>;
  /** Billed milliseconds per lifecycle and Lambda: measured locally plus the modelled round trips. */
  readonly lambdaMs: Partial<Record<LambdaName, number>>;
  readonly apiRequests: number;
  readonly events: number;
  readonly pipeRequests: number;
  readonly logBytes: number;
  /** Requests on the happy path that read rather than write (DynamoDB reads, S3 HEAD/GET), by phase. */
  readonly reads: readonly string[];
}

export interface CostLine {
  readonly service: Service;
  readonly usd: number;
  readonly share: number;
}

export interface CostResult {
  readonly lifecycles: number;
  readonly pricesAsOf: string;
  readonly assumedUploadBytes: number;
  /** Keyed by issuing surface (the field name is the results file's). */
  readonly contracts: Record<IssuingSurface, { ours: LifecycleFigures & { perMillion: CostLine[]; totalUsd: number }; naive: LifecycleFigures & { perMillion: CostLine[]; totalUsd: number } }>;
}

type Phase = 'issue' | 'upload' | 'sweep';
const LAMBDA_OF: Record<Phase, LambdaName> = { issue: 'api', upload: 's3-upload-events', sweep: 'retention-sweep' };

/** Per phase: what the instrumented clients saw and how long the phase took here. */
interface PhaseCounts {
  counts: RequestCounts;
  ms: number;
}

/** The modelled round trips of a phase's requests, as if one after another: an upper bound where they overlap (the sweep). */
function modelledMs(counts: RequestCounts): number {
  let ms = 0;
  for (const [key, n] of Object.entries(counts.requests)) ms += n * (key.startsWith('s3.') ? MODELLED_LATENCY_MS.s3 : MODELLED_LATENCY_MS.dynamodb);
  return ms;
}

const add = (into: Record<string, number>, from: Record<string, number>, scale = 1) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v * scale;
};

function figures(phases: Record<Phase, PhaseCounts>, n: number, extra: { clientPuts: number; events: number; pipe: boolean; logBytes: number }): LifecycleFigures {
  const requests: Record<string, number> = {};
  let readUnits = 0;
  let writeUnits = 0;
  let indexWriteUnits = 0;
  let streamRecords = 0;
  const lambdaMs: Partial<Record<LambdaName, number>> = {};
  const reads: string[] = [];
  for (const [phase, { counts, ms }] of Object.entries(phases) as [Phase, PhaseCounts][]) {
    add(requests, counts.requests, 1 / n);
    readUnits += counts.readUnits / n;
    writeUnits += counts.writeUnits / n;
    indexWriteUnits += counts.indexWriteUnits / n;
    streamRecords += counts.leaseStreamRecords / n;
    // Sweep requests are shared by a whole run (a page, a batch): per lease, their share.
    lambdaMs[LAMBDA_OF[phase]] = round((ms + modelledMs(counts)) / n, 2);
    for (const key of Object.keys(counts.requests)) {
      if (/^dynamodb\.(GetItem|BatchGetItem|Query|Scan)$|^s3\.(HeadObject|GetObject)$/.test(key)) reads.push(`${phase}: ${key}`);
    }
  }
  requests['s3.PutObject (client, presigned)'] = extra.clientPuts / n;
  const invocations: Partial<Record<LambdaName, number>> = { api: 1, 's3-upload-events': 1, 'retention-sweep': 0 };
  if (extra.pipe) {
    invocations['lease-events'] = streamRecords / PIPE_BATCH;
    lambdaMs['lease-events'] = round((streamRecords / PIPE_BATCH) * ENRICHMENT_MS, 2);
  }
  const totalInvocations = Object.values(invocations).reduce((a, b) => a + b, 0);
  const sum = (prefix: string) => Object.entries(requests).filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  return {
    requests: Object.fromEntries(Object.entries(requests).map(([k, v]) => [k, round(v, 4)])),
    dynamodbRequests: round(sum('dynamodb.'), 4),
    s3Requests: round(sum('s3.'), 4),
    readUnits: round(readUnits, 4),
    writeUnits: round(writeUnits, 4),
    indexWriteUnits: round(indexWriteUnits, 4),
    lambdaInvocations: invocations,
    lambdaMs,
    apiRequests: 1,
    events: extra.events / n,
    pipeRequests: extra.pipe ? round(streamRecords / PIPE_BATCH, 4) : 0,
    logBytes: Math.round(extra.logBytes / n + totalInvocations * PLATFORM_LOG_BYTES + (extra.pipe ? (streamRecords / PIPE_BATCH) * EMF_LOG_BYTES : 0)),
    reads,
  };
}

/** A million lifecycles at the list prices of bench/prices.ts, by service, with shares. */
export function perMillion(f: LifecycleFigures): { perMillion: CostLine[]; totalUsd: number } {
  const m = 1e6;
  const s3Writes = Object.entries(f.requests).filter(([k]) => /PutObject|CopyObject|DeleteObjects|CreateMultipart|UploadPart|CompleteMultipart/.test(k)).reduce((a, [, v]) => a + v, 0);
  const s3Reads = Object.entries(f.requests).filter(([k]) => /HeadObject|GetObject/.test(k)).reduce((a, [, v]) => a + v, 0);
  // Lambda bills whole milliseconds per invocation: one invocation per lifecycle for the API and the
  // event Lambda; the sweep's and the pipe's are shared by many lifecycles, so their share is not rounded.
  const billed = (name: LambdaName, ms: number) => (name === 'api' || name === 's3-upload-events' ? Math.ceil(ms) : ms);
  const gbSeconds = (Object.entries(f.lambdaMs) as [LambdaName, number][]).reduce((a, [name, ms]) => a + (MEMORY_MB[name] / 1024) * (billed(name, ms) / 1000), 0);
  const invocations = Object.values(f.lambdaInvocations).reduce((a, b) => a + b, 0);
  const storageGbMonths = (ASSUMED_UPLOAD_BYTES / 1024 ** 3) * (12 / 730);
  const usd: Record<Service, number> = {
    'API Gateway': f.apiRequests * m * PRICES.apiGatewayHttpPerRequest,
    Lambda: invocations * m * PRICES.lambdaPerRequest + gbSeconds * m * PRICES.lambdaArmPerGbSecond,
    // The pipe reads the stream with one GetRecords per batch; the settler's trigger reads it for free.
    DynamoDB:
      (f.writeUnits + f.indexWriteUnits) * m * PRICES.dynamodbPerWriteUnit +
      f.readUnits * m * PRICES.dynamodbPerReadUnit +
      f.pipeRequests * m * PRICES.dynamodbStreamReadPerRequest,
    S3: s3Writes * m * PRICES.s3PerWriteRequest + s3Reads * m * PRICES.s3PerReadRequest + storageGbMonths * m * PRICES.s3PerGbMonth,
    EventBridge: f.events * m * PRICES.eventBridgePerEvent + f.pipeRequests * m * PRICES.pipesPerRequest,
    CloudWatch: (f.logBytes / 1024 ** 3) * m * PRICES.logsPerGbIngested,
  };
  const totalUsd = Object.values(usd).reduce((a, b) => a + b, 0);
  return {
    perMillion: (Object.entries(usd) as [Service, number][]).map(([service, v]) => ({ service, usd: round(v, 2), share: round(v / totalUsd, 3) })),
    totalUsd: round(totalUsd, 2),
  };
}

/** Captures the broker's own log bytes (what CloudWatch Logs would ingest) while `work` runs. */
async function logBytesOf<T>(work: () => Promise<T>): Promise<[T, number]> {
  let bytes = 0;
  const write = process.stdout.write.bind(process.stdout);
  const level = process.env.BROKER_LOG_LEVEL;
  process.env.BROKER_LOG_LEVEL = 'info';
  process.stdout.write = ((chunk: string | Uint8Array) => ((bytes += Buffer.byteLength(chunk)), true)) as typeof process.stdout.write;
  try {
    return [await work(), bytes];
  } finally {
    process.stdout.write = write;
    if (level === undefined) delete process.env.BROKER_LOG_LEVEL;
    else process.env.BROKER_LOG_LEVEL = level;
  }
}

async function phase<T>(counter: ReturnType<typeof countRequests>, work: () => Promise<T>): Promise<[T, PhaseCounts]> {
  counter.reset();
  const start = performance.now();
  const out = await work();
  return [out, { counts: counter.snapshot(), ms: performance.now() - start }];
}

async function withBroker<T>(deliverS3Events: boolean, work: (broker: LocalBroker, clock: { offset: number }) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ulb-bench-cost-'));
  const clock = { offset: 0 };
  const broker = await startLocalBroker({
    dataDir,
    port: 0,
    sweepIntervalSeconds: 0,
    deliverS3Events,
    clock: { now: () => Date.now() + clock.offset },
    // The deployed default rate limit: its counter write is part of an Alibaba lease's cost (one workspace
    // per lifecycle keeps these sequential requests under it).
    env: {},
  });
  try {
    return await work(broker, clock);
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const body = (bytes: number) => randomBytes(bytes);
const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const RETENTION_MS = 12 * 3600 * 1000;

async function oursLifecycles(surface: IssuingSurface, n: number): Promise<LifecycleFigures> {
  return withBroker(true, async (broker, clock) => {
    const counter = countRequests({ dynamodb: broker.deps.ddb, s3: broker.deps.s3 });
    const leases: Array<{ leaseId: string; url: string; method: string; headers: Record<string, string>; bytes: Buffer }> = [];
    const [phases, logBytes] = await logBytesOf(async () => {
      const [, issue] = await phase(counter, async () => {
        for (let i = 0; i < n; i++) leases.push(await issueOurs(broker, surface, i));
      });
      const [, upload] = await phase(counter, async () => {
        for (const lease of leases) {
          const put = await fetch(lease.url, { method: lease.method, headers: lease.headers, body: lease.bytes });
          if (put.status !== 200) throw new Error(`cost bench: the presigned PUT answered ${put.status}`);
        }
        await broker.eventsSettled();
      });
      clock.offset = RETENTION_MS + 60_000;
      const [, sweep] = await phase(counter, async () => {
        await broker.sweepNow();
        await broker.eventsSettled();
      });
      return { issue, upload, sweep };
    });
    counter.stop();
    // Every lifecycle ran to its end: verified with its size, then expired.
    for (const lease of leases) {
      const record = await broker.deps.store.get(lease.leaseId);
      if (record?.status !== 'EXPIRED' || record.size !== lease.bytes.length) throw new Error(`cost bench: lease ${lease.leaseId} ended ${record?.status}`);
    }
    const events = existsSync(broker.eventsFile) ? readFileSync(broker.eventsFile, 'utf8').split('\n').filter(Boolean).length : 0;
    return figures(phases, n, { clientPuts: n, events, pipe: true, logBytes });
  });
}

async function issueOurs(broker: LocalBroker, surface: IssuingSurface, i: number) {
  const bytes = body(1024);
  if (surface === 'alibaba') {
    const form = new URLSearchParams({ FileName: `report-${i}.pdf`, Md5: md5(bytes).toString('hex'), SizeInBytes: String(bytes.length) });
    const res = await fetch(`${broker.url}/ws_cost_${i}/datacenter/category/default`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    if (res.status !== 200) throw new Error(`cost bench: the lease request answered ${res.status} ${await res.text()}`);
    const { Data } = (await res.json()) as { Data: { FileUploadLeaseId: string; Param: { Url: string; Method: string; Headers: Record<string, string> } } };
    return { leaseId: Data.FileUploadLeaseId, url: Data.Param.Url, method: Data.Param.Method, headers: Data.Param.Headers, bytes };
  }
  const path = `/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws-cost/codes/code-${i}/versions/1/startPendingUpload?api-version=2025-09-01`;
  const res = await fetch(broker.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pendingUploadType: 'TemporaryBlobReference' }) });
  if (res.status !== 200) throw new Error(`cost bench: the lease request answered ${res.status} ${await res.text()}`);
  const json = (await res.json()) as { blobReferenceForConsumption: { credential: { sasUri: string } } };
  return { leaseId: res.headers.get('x-lease-id')!, url: json.blobReferenceForConsumption.credential.sasUri, method: 'PUT', headers: {}, bytes };
}

async function naiveLifecycles(surface: IssuingSurface, n: number): Promise<LifecycleFigures> {
  return withBroker(false, async (broker, clock) => {
    const counter = countRequests({ dynamodb: broker.deps.ddb, s3: broker.deps.s3 });
    const naiveDeps = { region: broker.config.region, tableName: broker.config.tableName, bucketName: broker.config.bucketName, s3: broker.deps.s3, ddb: broker.deps.ddb };
    const handler = surface === 'azure' ? naiveAzureHandler(naiveDeps) : naiveAlibabaHandler(naiveDeps);
    const uploads: Array<{ url: string; headers: Record<string, string>; bytes: Buffer; key: string }> = [];
    const [, issue] = await phase(counter, async () => {
      for (let i = 0; i < n; i++) {
        const bytes = body(1024);
        let event = eventFor(surface);
        if (surface === 'alibaba') event = { ...event, body: `FileName=report-${i}.pdf&Md5=${md5(bytes).toString('hex')}&SizeInBytes=${bytes.length}` };
        const res = (await handler(event, lambdaContext(`naive-${surface}`) as never)) as { statusCode: number; body: string };
        const json = JSON.parse(res.body);
        const url: string = surface === 'azure' ? json.blobReferenceForConsumption.credential.sasUri : json.Data.Param.Url;
        const headers: Record<string, string> = surface === 'azure' ? {} : json.Data.Param.Headers;
        uploads.push({ url, headers, bytes, key: decodeURIComponent(new URL(url).pathname.split('/').slice(2).join('/')) });
      }
    });
    const clientCounter = { puts: 0 };
    const [, upload] = await phase(counter, async () => {
      for (const u of uploads) {
        const put = await fetch(u.url, { method: 'PUT', headers: u.headers, body: u.bytes });
        if (put.status !== 200) throw new Error(`cost bench (naive): the presigned PUT answered ${put.status}`);
        clientCounter.puts++;
        await naiveRecordUpload({ ...naiveDeps, retentionSeconds: broker.config.retentionSeconds }, u.key);
      }
    });
    clock.offset = RETENTION_MS + 60_000;
    // The naive handlers spread leases over 16 shards.
    const store = createLeaseStore(broker.deps.ddb, broker.config.tableName, 16);
    const [report, sweep] = await phase(counter, () => sweepOneByOne({ ...broker.deps, store }));
    if (report.expired !== n) throw new Error(`cost bench (naive): the one-by-one sweep expired ${report.expired} of ${n}`);
    counter.stop();
    return figures({ issue, upload, sweep }, n, { clientPuts: clientCounter.puts, events: 0, pipe: false, logBytes: 0 });
  });
}

export async function benchCost(options: { lifecycles: number }): Promise<CostResult> {
  const n = options.lifecycles;
  const contracts = {} as CostResult['contracts'];
  for (const surface of ISSUING_SURFACES) {
    const o = await oursLifecycles(surface, n);
    const b = await naiveLifecycles(surface, n);
    contracts[surface] = { ours: { ...o, ...perMillion(o) }, naive: { ...b, ...perMillion(b) } };
  }
  return { lifecycles: n, pricesAsOf: PRICES_AS_OF, assumedUploadBytes: ASSUMED_UPLOAD_BYTES, contracts };
}
