import { createHash } from 'node:crypto';
import type { Caller } from '../../shared/auth/caller.js';
import { OPEN_AUTH, type ContractAuth } from '../../shared/auth/contract-auth.js';
import { AuthenticationError } from '../../shared/errors.js';
import { CONTRACT_CODE } from '../../shared/contracts/code-by-surface.js';
import { type HttpFn } from '../../shared/api/chain.js';
import { SURFACES, type Surface } from '../../shared/api/operation.js';
import { operationsOf, routeKey, type OperationId, operationById } from '../../shared/contracts/registry.js';
import { surfaceHandler } from '../../shared/api/surface.js';
import type { NameClaims } from '../../shared/lease/ports.js';
import { noRateLimit } from '../../shared/lease/ports.js';
import type { BrokerDeps } from '../../shared/api/deps.js';
import { blobFrontContainers } from '../../shared/contracts/azure/blob-front.js';
import { engineFixture, T0, type EngineFixture } from './engine-fixture.js';
import { context, httpEvent } from './events.js';

/** Name claims in memory, with DynamoDB's conditional semantics (adapters/name-claims.ts). */
export function memoryClaims(): NameClaims & { readonly items: Map<string, { owner: string; claimedAt: number }> } {
  const items = new Map<string, { owner: string; claimedAt: number }>();
  return {
    items,
    get: async (name) => (items.has(name) ? { ...items.get(name)! } : undefined),
    async claim(name, owner, now, replacing) {
      const held = items.get(name);
      if (replacing ? !held || held.owner !== replacing.owner || held.claimedAt !== replacing.claimedAt : held) return false;
      items.set(name, { owner, claimedAt: now });
      return true;
    },
    async release(name, owner) {
      if (items.get(name)?.owner === owner) items.delete(name);
    },
  };
}

/**
 * Callers chosen by the request's Authorization header, `Test <scheme> <caller JSON>`: the handlers and
 * the tenancy rule see exactly that caller; anything else is refused as a scheme would refuse it.
 */
export function testAuth(): ContractAuth {
  const scheme = (accepts: readonly string[]) => async (event: { headers?: Record<string, string | undefined> }): Promise<Caller> => {
    const m = /^Test (\w+) (.+)$/.exec(event.headers?.authorization ?? '');
    if (!m) throw new AuthenticationError('missing', 'No test credentials.');
    if (!accepts.includes(m[1]!)) throw new AuthenticationError('malformed', 'Wrong scheme.');
    return JSON.parse(m[2]!) as Caller;
  };
  return { alibaba: scheme(['alibaba']), azure: scheme(['azure']), either: scheme(['alibaba', 'azure']) };
}
export const asCaller = (scheme: 'alibaba' | 'azure', caller: Caller) => `Test ${scheme} ${JSON.stringify(caller)}`;

export interface MemoryBroker extends EngineFixture {
  readonly deps: BrokerDeps;
  readonly claims: ReturnType<typeof memoryClaims>;
  call(id: OperationId, request: { params?: Record<string, string>; query?: string; body?: string; headers?: Record<string, string> }): Promise<{ statusCode: number; headers: Record<string, string>; json: any }>;
  /** Stores the bytes at the lease's key, as S3 would a second after the clock's now. */
  upload(objectKey: string, body: string, contentType?: string): void;
}

/** The Blob front's signing key in the memory broker (AZURE_UPLOADS=blob-front). */
export const MEMORY_FRONT_KEY = 'memory-front-key-0123456789abcdef';

/** Every surface's router over in-memory ports: the contracts' handlers end to end, in milliseconds. */
export function memoryBroker(options: { env?: Record<string, string>; auth?: ContractAuth } = {}): MemoryBroker {
  const f = engineFixture({ ALIBABA_RATE_LIMIT_PER_SECOND: '0', ...options.env });
  const claims = memoryClaims();
  // As runtime.ts wires it: with the Blob front on, the Azure surface mints container SAS tokens.
  const containers = f.config.blobFrontUrl ? { containers: blobFrontContainers({ url: f.config.blobFrontUrl, signingKey: async () => MEMORY_FRONT_KEY }) } : {};
  const deps = { ...f, ...containers, alibabaRateLimiter: noRateLimit, claims, auth: options.auth ?? OPEN_AUTH } satisfies BrokerDeps;
  const lambdas = Object.fromEntries(SURFACES.map((s) => [s, surfaceHandler(operationsOf(s), CONTRACT_CODE[s], deps)])) as Record<Surface, HttpFn>;
  return {
    ...f,
    deps,
    claims,
    async call(id, request) {
      const op = operationById(id);
      const params = request.params ?? {};
      const rawPath = op.path.replace(/\{(\w+)\+?\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));
      const res = await lambdas[op.surface](
        httpEvent({ routeKey: routeKey(op), rawPath, pathParameters: params, ...(request.query !== undefined ? { rawQueryString: request.query } : {}), ...(request.headers ? { headers: request.headers } : {}), ...(request.body !== undefined ? { body: request.body } : {}) }),
        context(),
      );
      return { statusCode: res.statusCode, headers: res.headers, json: res.body ? JSON.parse(res.body) : undefined };
    },
    upload(objectKey, body, contentType) {
      const eTag = `"${createHash('md5').update(body).digest('hex')}"`;
      f.objects.put(objectKey, { size: Buffer.byteLength(body), eTag, ...(contentType ? { contentType } : {}), lastModified: Math.floor(f.clock.now() / 1000) * 1000 + 1000 });
    },
  };
}

/** An Alibaba lease of the workspace, issued through ApplyFileUploadLease; anything but a 200 is an error. */
export async function appliedAlibaba(b: MemoryBroker, body = 'file body', fileName = 'Report.PDF', workspace = 'ws', headers: Record<string, string> = {}) {
  const res = await b.call('ApplyFileUploadLease', {
    params: { WorkspaceId: workspace, CategoryId: 'default' },
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: `FileName=${fileName}&Md5=${createHash('md5').update(body).digest('hex')}&SizeInBytes=${Buffer.byteLength(body)}`,
  });
  if (res.statusCode !== 200) throw new Error(`ApplyFileUploadLease answered ${res.statusCode}: ${JSON.stringify(res.json)}`);
  const leaseId: string = res.json.Data.FileUploadLeaseId;
  return { leaseId, res, key: (await b.store.get(leaseId))!.objectKey };
}

/** The same, with its bytes stored as S3 would store the client's PUT. */
export async function uploadedAlibaba(b: MemoryBroker, body = 'file body', fileName = 'Report.PDF', contentType = 'application/pdf') {
  const lease = await appliedAlibaba(b, body, fileName);
  b.upload(lease.key, body, contentType);
  return lease;
}

export { T0 };
