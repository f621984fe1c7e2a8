/**
 * The soak's clients: each loops over scenarios drawn at random, with plain fetch and the contracts'
 * wire formats, until the run ends. Every lease a client is handed is tracked with what the client
 * knows of it (uploaded, consumed and by whom, what was expected to be refused), for the audit.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Stats } from './stats.js';

export type Scenario =
  | 'alibaba-consume'
  | 'alibaba-abandon'
  | 'alibaba-unused'
  | 'wrong-md5'
  | 'oversized'
  | 'consume-race'
  | 'azure-version'
  | 'azure-revive'
  | 'azure-container';

/** How often each is drawn (out of the sum). */
export const SCENARIO_WEIGHTS: Readonly<Record<Scenario, number>> = {
  'alibaba-consume': 4,
  'alibaba-abandon': 2,
  'alibaba-unused': 1,
  'wrong-md5': 1,
  oversized: 1,
  'consume-race': 2,
  'azure-version': 3,
  'azure-revive': 1,
  /** Only with the Blob front (AZURE_UPLOADS=blob-front): a container is what it leases. */
  'azure-container': 2,
};

/** What the clients know of one lease. */
export interface TrackedLease {
  readonly leaseId: string;
  readonly contract: 'alibaba' | 'azure';
  readonly scenario: Scenario;
  readonly createdAt: number;
  /** The MD5 (hex) of the bytes last PUT with a 200/201, and when. */
  uploadedMd5?: string;
  uploadedAt?: number;
  /** S3 refused a PUT as it should (wrong MD5, more bytes than signed). */
  putRefused?: number;
  /** A consumer whose consume was answered 2xx: the lease must be CONSUMED by it. */
  consumedBy?: { kind: 'alibaba-file' | 'azure-code-version' | 'broker'; id: string; at: number };
  /** A consume whose answer was lost (connection dropped, 5xx): the lease may or may not be consumed by it. */
  consumeUnknown?: string[];
  /** 2xx answers to consumes of a raced lease (more than one is a failure). */
  raceWinners?: string[];
  /** The upload was over MAX_UPLOAD_BYTES: the lease should be REJECTED (SIZE_LIMIT) until revived. */
  oversizedUpload?: boolean;
  /** Ids an Azure create-or-get answered for this pendingUploadId (must all be this lease). */
  createOrGetIds?: string[];
  /** A container lease (the Blob front): each blob stored (201), its name in the container and MD5 (hex). */
  blobs?: Record<string, string>;
}

export interface ClientContext {
  readonly url: string;
  readonly stats: Stats;
  readonly leases: Map<string, TrackedLease>;
  /** Checks a client makes as it goes (two winners of a race, a create-or-get naming another lease). */
  readonly violations: string[];
  readonly lifecycles: Record<string, number>;
  /** The run's end: clients finish the scenario they are in (bounded), then stop. */
  readonly stopAt: number;
  /** True while the broker is down or just back (network errors then are the injected restart). */
  restarting(): boolean;
  /** The broker died on its own: calls give up at once (the run has failed). */
  brokerGone(): boolean;
  readonly maxUploadBytes: number;
  readonly client: number;
  /** The broker runs with AZURE_UPLOADS=blob-front: Azure leases are containers written with Put Blob. */
  readonly blobFront: boolean;
}

const md5hex = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Calls started after the run's end still finish; past this they give up (the broker is stuck). */
const CALL_GIVE_UP_MS = 90_000;

interface Answer {
  status: number;
  json: any;
  text: string;
  headers: Headers;
  /** An earlier attempt of this call lost its answer (dropped connection, 5xx): it may have had an effect. */
  ambiguous: boolean;
}

/**
 * One call, retried as a client should: on a dropped or refused connection (the broker restarting)
 * and on 503 (throttled: an injected DynamoDB fault surfacing) with a short backoff. Latency is of the
 * attempt that was answered; every answer's status is counted.
 */
async function call(ctx: ClientContext, op: string, url: string, init: RequestInit): Promise<Answer> {
  const started = Date.now();
  let ambiguous = false;
  for (let attempt = 1; ; attempt++) {
    const t0 = performance.now();
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
      text = await res.text();
    } catch (error) {
      ctx.stats.networkError(op);
      if (!ctx.restarting()) ctx.stats.unexpectedNetworkErrors.push({ op, error: String((error as Error).cause ?? error), at: Date.now() });
      ambiguous = true;
      if (Date.now() - started > CALL_GIVE_UP_MS || ctx.brokerGone()) throw new Error(`${op}: no answer for ${CALL_GIVE_UP_MS} ms`, { cause: error });
      await sleep(100 + Math.random() * 200);
      continue;
    }
    ctx.stats.status(op, res.status);
    if (res.status >= 500) {
      if (res.status !== 503) ctx.stats.unexpected5xx.push({ op, status: res.status, body: text.slice(0, 300), at: Date.now() });
      ambiguous = true;
      if (Date.now() - started < CALL_GIVE_UP_MS && attempt < 20) {
        await sleep(50 * attempt + Math.random() * 100);
        continue;
      }
    }
    ctx.stats.latency(op, performance.now() - t0);
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers, ambiguous };
  }
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

function track(ctx: ClientContext, lease: TrackedLease): TrackedLease {
  const known = ctx.leases.get(lease.leaseId);
  if (known) return known;
  ctx.leases.set(lease.leaseId, lease);
  return lease;
}

const bodyOf = (size: number) => randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size);

/** Alibaba ApplyFileUploadLease: the lease id and what to PUT with. */
async function applyLease(ctx: ClientContext, scenario: Scenario, body: Buffer, declared: { md5: string; size: number }) {
  const ws = `ws_soak${ctx.client}`;
  const res = await call(ctx, 'alibaba.apply', `${ctx.url}/${ws}/datacenter/category/default`, form({ FileName: `soak-${scenario}.txt`, Md5: declared.md5, SizeInBytes: String(declared.size) }));
  if (res.status !== 200) throw new Error(`ApplyFileUploadLease: ${res.status} ${res.text.slice(0, 300)}`);
  const data = res.json.Data as { FileUploadLeaseId: string; Param: { Method: string; Url: string; Headers: Record<string, string> } };
  const lease = track(ctx, { leaseId: data.FileUploadLeaseId, contract: 'alibaba', scenario, createdAt: Date.now() });
  return { ws, lease, param: data.Param };
}

async function put(ctx: ClientContext, op: string, lease: TrackedLease, url: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  const res = await call(ctx, op, url, { method: 'PUT', headers, body });
  if (stored(res.status)) recordUpload(lease, body);
  return res.status;
}

/** What the audit is told of a stored upload: its MD5 and when. */
function recordUpload(lease: TrackedLease, body: Buffer): void {
  lease.uploadedMd5 = md5hex(body);
  lease.uploadedAt = Date.now();
}

/** S3 answers a PUT 200; the Blob front answers Put Blob 201, as Azure does (and its clients require). */
const stored = (status: number) => status === 200 || status === 201;

/**
 * The headers azure-storage-blob sends with a Put Blob (azure-ai-ml's upload: Content-MD5, never
 * overwriting). The SAS query is the container URL's.
 */
function putBlobInit(body: Buffer): Record<string, string> {
  return {
    'x-ms-version': '2025-05-05',
    'x-ms-date': new Date().toUTCString(),
    'x-ms-blob-type': 'BlockBlob',
    'content-md5': createHash('md5').update(body).digest('base64'),
    'if-none-match': '*',
  };
}
const blobUrl = (sasUri: string, name: string) => {
  const url = new URL(sasUri);
  return `${url.origin}${url.pathname}/${name}${url.search}`;
};

/**
 * One blob into a container lease: tracked by name once stored. If-None-Match: * makes a retried Put
 * Blob whose first answer was lost (the broker killed) a 412 when the first one was stored: then a HEAD
 * says whether it is there (the audit checks its MD5), as a client that retries must ask.
 */
async function putBlob(ctx: ClientContext, lease: TrackedLease, sasUri: string, name: string, body: Buffer): Promise<number> {
  const url = blobUrl(sasUri, name);
  const res = await call(ctx, 'blob.put', url, { method: 'PUT', headers: putBlobInit(body), body });
  let status = res.status;
  if (status === 412 && res.ambiguous) {
    const head = await call(ctx, 'blob.head', url, { method: 'HEAD', headers: { 'x-ms-version': '2025-05-05' } });
    if (head.status === 200 && head.headers.get('content-length') === String(body.length)) status = 201;
  }
  if (stored(status)) {
    recordUpload(lease, body);
    (lease.blobs ??= {})[name] = lease.uploadedMd5!;
  }
  return status;
}

/** The upload of an Azure lease's code: one S3 PUT to the sasUri, or a Put Blob into its container. */
async function putCode(ctx: ClientContext, started: Started, body: Buffer, name = 'code/main.py'): Promise<number> {
  return ctx.blobFront ? putBlob(ctx, started.lease, started.sasUri, name, body) : put(ctx, 'azure.put', started.lease, started.sasUri, {}, body);
}

/** Polls GET /leases/{id} until its status is one of `want`; undefined if it is not within the limit. */
async function waitForStatus(ctx: ClientContext, leaseId: string, want: readonly string[], limitMs = 30_000): Promise<string | undefined> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const res = await call(ctx, 'lease.get', `${ctx.url}/leases/${leaseId}`, { method: 'GET' });
    const status = res.json?.status as string | undefined;
    if (status && want.includes(status)) return status;
    if (Date.now() > deadline) return undefined;
    await sleep(100);
  }
}

async function addFile(ctx: ClientContext, ws: string, lease: TrackedLease): Promise<boolean> {
  const res = await call(ctx, 'alibaba.addFile', `${ctx.url}/${ws}/datacenter/file`, {
    ...form({ LeaseId: lease.leaseId, Parser: 'DASHSCOPE_DOCMIND', CategoryId: 'default' }),
    method: 'PUT',
  });
  if (res.status === 200) {
    lease.consumedBy = { kind: 'alibaba-file', id: res.json.Data.FileId, at: Date.now() };
    return true;
  }
  if (res.ambiguous) (lease.consumeUnknown ??= []).push('alibaba-file');
  return false;
}

const SCENARIOS: Record<Scenario, (ctx: ClientContext) => Promise<boolean>> = {
  /** Upload and AddFile at once (the lease is verified then if its event has not come yet). */
  async 'alibaba-consume'(ctx) {
    const body = Buffer.from(bodyOf(256 + Math.floor(Math.random() * 4096)));
    const { ws, lease, param } = await applyLease(ctx, 'alibaba-consume', body, { md5: md5hex(body), size: body.length });
    if ((await put(ctx, 's3.put', lease, param.Url, param.Headers, body)) !== 200) return false;
    return addFile(ctx, ws, lease);
  },
  /** Uploaded and left: it expires at the end of its retention, and the sweep deletes its object. */
  async 'alibaba-abandon'(ctx) {
    const body = Buffer.from(bodyOf(128 + Math.floor(Math.random() * 2048)));
    const { lease, param } = await applyLease(ctx, 'alibaba-abandon', body, { md5: md5hex(body), size: body.length });
    return (await put(ctx, 's3.put', lease, param.Url, param.Headers, body)) === 200;
  },
  /** Never uploaded: it expires once its URL has (plus the grace). */
  async 'alibaba-unused'(ctx) {
    const body = Buffer.from(bodyOf(64));
    await applyLease(ctx, 'alibaba-unused', body, { md5: md5hex(body), size: body.length });
    return true;
  },
  /** The bytes are not the ones declared: S3 refuses them (Content-MD5 is signed into the URL). */
  async 'wrong-md5'(ctx) {
    const declared = Buffer.from(bodyOf(512));
    const sent = Buffer.from(bodyOf(512));
    const { lease, param } = await applyLease(ctx, 'wrong-md5', declared, { md5: md5hex(declared), size: declared.length });
    const status = await put(ctx, 's3.put.refused', lease, param.Url, param.Headers, sent);
    if (status >= 400 && status < 500) lease.putRefused = status;
    else ctx.violations.push(`wrong-md5 ${lease.leaseId}: PUT answered ${status}, not a 4xx`);
    return status >= 400 && status < 500;
  },
  /** More bytes than declared: S3 refuses them (the length is signed into the URL). */
  async oversized(ctx) {
    const declared = Buffer.from(bodyOf(300));
    const sent = Buffer.concat([declared, Buffer.from('and then some more')]);
    const { lease, param } = await applyLease(ctx, 'oversized', declared, { md5: md5hex(declared), size: declared.length });
    const status = await put(ctx, 's3.put.refused', lease, param.Url, param.Headers, sent);
    if (status >= 400 && status < 500) lease.putRefused = status;
    else ctx.violations.push(`oversized ${lease.leaseId}: PUT answered ${status}, not a 4xx`);
    return status >= 400 && status < 500;
  },
  /** Once its S3 event has made it UPLOADED, four consumers at once: one wins, the others get 409. */
  async 'consume-race'(ctx) {
    const body = Buffer.from(bodyOf(1024));
    const { lease, param } = await applyLease(ctx, 'consume-race', body, { md5: md5hex(body), size: body.length });
    if ((await put(ctx, 's3.put', lease, param.Url, param.Headers, body)) !== 200) return false;
    if ((await waitForStatus(ctx, lease.leaseId, ['UPLOADED'])) === undefined) return false;
    const racers = Array.from({ length: 4 }, (_, i) => `racer-${ctx.client}-${i}`);
    const answers = await Promise.all(
      racers.map((consumer) => call(ctx, 'lease.consume', `${ctx.url}/leases/${lease.leaseId}/consume`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ consumer }) })),
    );
    lease.raceWinners = [];
    answers.forEach((res, i) => {
      if (res.status === 200) {
        lease.raceWinners!.push(racers[i]!);
        lease.consumedBy ??= { kind: 'broker', id: racers[i]!, at: Date.now() };
      } else if (res.ambiguous) (lease.consumeUnknown ??= []).push(racers[i]!);
      else if (res.status !== 409) ctx.violations.push(`consume-race ${lease.leaseId}: ${racers[i]} answered ${res.status} ${res.text.slice(0, 200)}`);
    });
    // The same consumer asking again is answered 200 (idempotent): only distinct winners are a failure.
    if (new Set(lease.raceWinners).size > 1) ctx.violations.push(`consume-race ${lease.leaseId}: ${lease.raceWinners.length} winners ${lease.raceWinners.join(', ')}`);
    return lease.raceWinners.length === 1;
  },
  /** startPendingUpload (asked again: the same lease), PUT the blob, create the code version; asked again: 409. */
  async 'azure-version'(ctx) {
    const scope = azureScope(ctx);
    const started = await startPending(ctx, scope, 'azure-version');
    if (!started) return false;
    const again = await startPending(ctx, scope, 'azure-version');
    if (again && again.lease !== started.lease) ctx.violations.push(`create-or-get ${scope.pendingUploadId}: ${started.lease.leaseId} then ${again.lease.leaseId}`);
    const body = Buffer.from(`print(${JSON.stringify(bodyOf(200 + Math.floor(Math.random() * 2000)))})\n`);
    if (!stored(await putCode(ctx, started, body))) return false;
    if (!(await createVersion(ctx, scope, started))) return false;
    const after = await call(ctx, 'azure.startPendingUpload', startUrl(ctx, scope), startInit(scope));
    if (after.status !== 409) ctx.violations.push(`create-or-get after consume ${started.lease.leaseId}: ${after.status}, not 409`);
    return true;
  },
  /** Over MAX_UPLOAD_BYTES: REJECTED; create-or-get revives it (same lease), the right upload is consumed. */
  async 'azure-revive'(ctx) {
    const scope = azureScope(ctx);
    const started = await startPending(ctx, scope, 'azure-revive');
    if (!started) return false;
    const big = Buffer.alloc(ctx.maxUploadBytes + 1024, 'x');
    // S3 stores it and the broker rejects it (SIZE_LIMIT); the Blob front refuses it (413) and stores nothing.
    const status = await putCode(ctx, started, big);
    if (stored(status)) {
      started.lease.oversizedUpload = true;
      if ((await waitForStatus(ctx, started.lease.leaseId, ['REJECTED'])) === undefined) return false;
    } else if (status < 400 || status >= 500) return false;
    const revived = await startPending(ctx, scope, 'azure-revive');
    if (!revived) return false;
    if (revived.lease !== started.lease) ctx.violations.push(`revive ${scope.pendingUploadId}: ${started.lease.leaseId} then ${revived.lease.leaseId}`);
    const body = Buffer.from('print("revived")\n');
    if (!stored(await putCode(ctx, revived, body, 'code/revived.py'))) return false;
    return createVersion(ctx, scope, revived);
  },
  /**
   * azure-ai-ml's code directory through the Blob front: several Put Blobs into the container (a second
   * write of a name refused, 412), the upload marker on the first blob (metadata, 200, blob untouched),
   * a HEAD, then the code version for the directory: every blob is the consumed file.
   */
  async 'azure-container'(ctx) {
    const scope = azureScope(ctx);
    const started = await startPending(ctx, scope, 'azure-container');
    if (!started) return false;
    const names = Array.from({ length: 2 + Math.floor(Math.random() * 3) }, (_, i) => (i === 0 ? 'code/main.py' : `code/pkg/mod${i}.py`));
    for (const name of names) {
      const body = Buffer.from(`# ${name}\n${bodyOf(100 + Math.floor(Math.random() * 1500))}\n`);
      const status = await putBlob(ctx, started.lease, started.sasUri, name, body);
      if (!stored(status)) {
        ctx.violations.push(`azure-container ${started.lease.leaseId}: Put Blob ${name} answered ${status}`);
        return false;
      }
    }
    const again = await call(ctx, 'blob.put.refused', blobUrl(started.sasUri, names[0]!), { method: 'PUT', headers: putBlobInit(Buffer.from('x')), body: 'x' });
    if (again.status !== 412) ctx.violations.push(`azure-container ${started.lease.leaseId}: a second Put Blob of ${names[0]} answered ${again.status}, not 412`);
    const metaUrl = new URL(blobUrl(started.sasUri, names[0]!));
    metaUrl.searchParams.set('comp', 'metadata');
    const meta = await call(ctx, 'blob.metadata', metaUrl.toString(), {
      method: 'PUT',
      headers: { 'x-ms-version': '2025-05-05', 'x-ms-meta-upload_status': 'completed', 'x-ms-meta-name': 'soak', 'content-length': '0' },
    });
    if (meta.status !== 200) ctx.violations.push(`azure-container ${started.lease.leaseId}: Set Blob Metadata answered ${meta.status}, not 200`);
    const head = await call(ctx, 'blob.head', blobUrl(started.sasUri, names[0]!), { method: 'HEAD', headers: { 'x-ms-version': '2025-05-05' } });
    if (head.status !== 200) ctx.violations.push(`azure-container ${started.lease.leaseId}: HEAD of a stored blob answered ${head.status}`);
    return createVersion(ctx, scope, started, 'code');
  },
};

interface AzureScope {
  readonly path: string;
  readonly pendingUploadId: string;
}

let azureSeq = 0;
function azureScope(ctx: ClientContext): AzureScope {
  const name = `soak-c${ctx.client}-${++azureSeq}`;
  return {
    path: `/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/soak-rg/providers/Microsoft.MachineLearningServices/workspaces/soak-ws/codes/${name}/versions/1`,
    pendingUploadId: randomUUID(),
  };
}
const API = 'api-version=2025-09-01';
const startUrl = (ctx: ClientContext, scope: AzureScope) => `${ctx.url}${scope.path}/startPendingUpload?${API}`;
const startInit = (scope: AzureScope): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ pendingUploadId: scope.pendingUploadId }),
});

interface Started {
  readonly lease: TrackedLease;
  readonly blobUri: string;
  readonly sasUri: string;
}

async function startPending(ctx: ClientContext, scope: AzureScope, scenario: Scenario): Promise<Started | undefined> {
  const res = await call(ctx, 'azure.startPendingUpload', startUrl(ctx, scope), startInit(scope));
  if (res.status !== 200) {
    ctx.violations.push(`startPendingUpload ${scope.pendingUploadId}: ${res.status} ${res.text.slice(0, 200)}`);
    return undefined;
  }
  const leaseId = res.headers.get('x-lease-id')!;
  const lease = track(ctx, { leaseId, contract: 'azure', scenario, createdAt: Date.now() });
  (lease.createOrGetIds ??= []).push(leaseId);
  const ref = res.json.blobReferenceForConsumption as { blobUri: string; credential: { sasUri: string } };
  return { lease, blobUri: ref.blobUri, sasUri: ref.credential.sasUri };
}

/**
 * The code version. Its codeUri: the blob itself (s3-presigned), or, as azure-ai-ml computes it with the
 * Blob front, the blob URI joined with the container (the sasUri's last path segment) and the directory.
 */
async function createVersion(ctx: ClientContext, scope: AzureScope, started: Started, directory = 'code'): Promise<boolean> {
  const container = new URL(started.sasUri).pathname.split('/').at(-1)!;
  const codeUri = ctx.blobFront ? new URL(`${container}/${directory}`, started.blobUri).toString() : started.blobUri;
  const res = await call(ctx, 'azure.createVersion', `${ctx.url}${scope.path}?${API}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ properties: { codeUri, description: 'soak' } }),
  });
  if (res.status === 200 || res.status === 201) {
    started.lease.consumedBy = { kind: 'azure-code-version', id: res.json.id, at: Date.now() };
    return true;
  }
  if (res.ambiguous) (started.lease.consumeUnknown ??= []).push('azure-code-version');
  else ctx.violations.push(`create code version ${started.lease.leaseId}: ${res.status} ${res.text.slice(0, 200)}`);
  return false;
}

function draw(ctx: ClientContext): Scenario {
  const weights = (Object.entries(SCENARIO_WEIGHTS) as [Scenario, number][]).filter(([name]) => ctx.blobFront || name !== 'azure-container');
  const total = weights.reduce((a, [, w]) => a + w, 0);
  let r = Math.random() * total;
  for (const [name, weight] of weights) {
    r -= weight;
    if (r < 0) return name;
  }
  return 'alibaba-consume';
}

/** One client: scenarios one after another until the run ends. A scenario that throws is a violation. */
export async function runClient(ctx: ClientContext): Promise<void> {
  while (Date.now() < ctx.stopAt && !ctx.brokerGone()) {
    const scenario = draw(ctx);
    try {
      if (await SCENARIOS[scenario](ctx)) ctx.lifecycles[scenario] = (ctx.lifecycles[scenario] ?? 0) + 1;
    } catch (error) {
      ctx.violations.push(`client ${ctx.client} ${scenario}: ${(error as Error).message}`);
    }
  }
}
