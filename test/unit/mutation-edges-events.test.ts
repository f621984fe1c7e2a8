/**
 * The security boundary's exact edges, pinned value by value: each contract's error format (status,
 * code, message, headers such as ARM's WWW-Authenticate and Retry-After, Alibaba's RequestId/Status/
 * Success, the request-id response headers), the shared middy chain's log keys (contract, request
 * ids, route, caller), the surface router's refusal of a missing handler, the stream and S3 event
 * Lambdas' decisions and log lines, and the embedded S3's body and copy guards (S3's XML error
 * documents, code, message and detail fields). These are what clients and operators rely on; a
 * changed code, header or log field is a changed contract, so each is asserted exactly.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, test } from '@jest/globals';
import type { DynamoDBRecord, S3EventRecord } from 'aws-lambda';
import type { KoaContext } from '../../local/emulator-packages.js';
import { bodyGuard } from '../../local/s3-auth/body-guard.js';
import { copySourceConditions } from '../../local/s3-auth/copy-conditions.js';
import { openAuthenticator, type Authenticator, type Caller } from '../../shared/auth/caller.js';
import { OPEN_AUTH } from '../../shared/auth/contract-auth.js';
import { alibabaEdge } from '../../shared/contracts/alibaba/edge.js';
import { azureEdge } from '../../shared/contracts/azure/edge.js';
import { leasesEdge } from '../../shared/contracts/leases/edge.js';
import { OPERATIONS } from '../../shared/contracts/registry.js';
import {
  AuthenticationError,
  ConflictError,
  ForbiddenError,
  DependencyError,
  LeaseNotFoundError,
  LeaseStateError,
  MalformedBodyError,
  RateLimitedError,
  ResourceNotFoundError,
  UnsupportedMediaTypeError,
  ValidationError,
  type AuthenticationFailure,
} from '../../shared/errors.js';
import { leaseSettlerHandler } from '../../shared/events/lease-settler.js';
import { leaseChangeOf } from '../../shared/events/lease-stream.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import { httpHandler, type HttpFn } from '../../shared/api/chain.js';
import { json } from '../../shared/http/respond.js';
import { operationHandler } from '../../shared/api/surface.js';
import type { ContractEdge, HttpEvent } from '../../shared/http/types.js';
import { deleteConsumed } from '../../shared/lease/consume.js';
import { issueLease } from '../../shared/lease/engine.js';
import type { LeaseRecord } from '../../shared/lease/model.js';
import { toItem } from '../../shared/adapters/lease-item.js';
import type { BrokerDeps } from '../../shared/api/deps.js';
import { captureLogLines } from '../support/log-capture.js';
import { consumedLease, streamRecord } from '../support/stream-records.js';
import { ALIBABA_BODY, alibabaSpec, engineFixture, T0, type EngineFixture } from '../support/engine-fixture.js';
import { context, httpEvent } from '../support/events.js';
import { DUE_SHARD_LIMITS } from '../../shared/config.js';
import { scratchDir } from '../support/scratch.js';

// ---------------------------------------------------------------------------------------------
// Log capture, as logging.test.ts does it: every line the Powertools logger writes, parsed.
// ---------------------------------------------------------------------------------------------

const lines = captureLogLines();
const logged = () => lines.map((l) => JSON.parse(l) as Record<string, any>);

const REQUEST_ID = 'C0FFEE00-1111-4222-8333-444444444444';
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

function answer(edge: ContractEdge, error: unknown): { statusCode: number; headers: Record<string, string>; body: any } {
  const result = edge.errorResponse(error, REQUEST_ID);
  return { statusCode: result.statusCode, headers: result.headers, body: JSON.parse(result.body!) };
}

// ---------------------------------------------------------------------------------------------
// shared/contracts/alibaba/edge.ts
// ---------------------------------------------------------------------------------------------

describe('alibaba edge: Code, Message, RequestId, Status, Success', () => {
  const alibaba = (code: string, message: string, status: number) => ({ Code: code, Message: message, RequestId: REQUEST_ID, Status: String(status), Success: false });

  test.each([
    ['missing', 'IncompleteSignature'],
    ['malformed', 'IncompleteSignature'],
    ['signature', 'SignatureDoesNotMatch'],
    ['unknown-key', 'InvalidAccessKeyId.NotFound'],
    ['nonce-used', 'SignatureNonceUsed'],
    ['expired', 'InvalidTimeStamp.Expired'],
    ['invalid-token', 'InvalidAuthorization'],
  ] as [AuthenticationFailure, string][])('a refused signature (%s) is a 401 %s with the refusal as its message', (failure, code) => {
    expect(answer(alibabaEdge, new AuthenticationError(failure, 'The signature was refused.'))).toEqual({
      statusCode: 401,
      headers: JSON_TYPE,
      body: alibaba(code, 'The signature was refused.', 401),
    });
  });

  test.each([
    ['PENDING', 'InvalidLease.NotUploaded'],
    ['REJECTED', 'InvalidLease.UploadRejected'],
    ['EXPIRED', 'InvalidLease.Expired'],
    ['CONSUMED', 'InvalidLease.AlreadyUsed'],
    ['DELETED', 'InvalidLease.AlreadyUsed'],
  ] as [LeaseStateError['status'], string][])('a lease that is %s cannot be added: 409 %s', (status, code) => {
    expect(answer(alibabaEdge, new LeaseStateError('l', status, `The lease is ${status}.`))).toEqual({
      statusCode: 409,
      headers: JSON_TYPE,
      body: alibaba(code, `The lease is ${status}.`, 409),
    });
  });

  test('any other conflict is a 409 Conflict', () => {
    expect(answer(alibabaEdge, new ConflictError('It conflicts.'))).toEqual({ statusCode: 409, headers: JSON_TYPE, body: alibaba('Conflict', 'It conflicts.', 409) });
  });

  test('a throttled workspace is a 429 Throttling.User with Retry-After', () => {
    expect(answer(alibabaEdge, new RateLimitedError(3))).toEqual({
      statusCode: 429,
      headers: { ...JSON_TYPE, 'retry-after': '3' },
      body: alibaba('Throttling.User', 'Request was denied due to request throttling.', 429),
    });
  });

  test('an unexpected error is a 500 InternalError with a generic message', () => {
    expect(answer(alibabaEdge, new Error('secret'))).toEqual({
      statusCode: 500,
      headers: JSON_TYPE,
      body: alibaba('InternalError', 'The request processing has failed due to some unknown error.', 500),
    });
  });
});

// ---------------------------------------------------------------------------------------------
// shared/contracts/azure/edge.ts
// ---------------------------------------------------------------------------------------------

describe('azure edge: ARM ErrorResponse, WWW-Authenticate, request-id headers', () => {
  const arm = (code: string, message: string) => ({ error: { code, message, details: [], additionalInfo: [] } });

  test('no credentials: 401 AuthenticationFailed, challenged with the bearer scheme alone', () => {
    expect(answer(azureEdge, new AuthenticationError('missing', 'No token.'))).toEqual({
      statusCode: 401,
      headers: { ...JSON_TYPE, 'www-authenticate': 'Bearer realm="upload-lease-broker"' },
      body: arm('AuthenticationFailed', 'No token.'),
    });
  });

  test.each(['malformed', 'signature', 'unknown-key', 'nonce-used', 'expired', 'invalid-token'] as AuthenticationFailure[])(
    'a refused token (%s): 401 InvalidAuthenticationToken, challenged with error="invalid_token"',
    (failure) => {
      expect(answer(azureEdge, new AuthenticationError(failure, 'Bad token.'))).toEqual({
        statusCode: 401,
        headers: { ...JSON_TYPE, 'www-authenticate': 'Bearer realm="upload-lease-broker", error="invalid_token"' },
        body: arm('InvalidAuthenticationToken', 'Bad token.'),
      });
    },
  );

  test('an unknown lease is a 404 NotFound, with no challenge', () => {
    const id = '0123456789abcdef0123456789abcdef';
    expect(answer(azureEdge, new LeaseNotFoundError(id))).toEqual({ statusCode: 404, headers: JSON_TYPE, body: arm('NotFound', `No lease with id '${id}' exists.`) });
  });

  test('a throttle is a 429 TooManyRequests with Retry-After and no challenge', () => {
    expect(answer(azureEdge, new RateLimitedError(2))).toEqual({
      statusCode: 429,
      headers: { ...JSON_TYPE, 'retry-after': '2' },
      body: arm('TooManyRequests', 'Request was denied due to request throttling.'),
    });
  });

  test('an event without headers still gets both request-id headers and no client id echo', () => {
    expect(azureEdge.responseHeaders({} as HttpEvent, REQUEST_ID)).toEqual({ 'x-ms-request-id': REQUEST_ID, 'x-ms-correlation-request-id': REQUEST_ID });
  });
});

// ---------------------------------------------------------------------------------------------
// shared/contracts/leases/edge.ts
// ---------------------------------------------------------------------------------------------

describe("leases edge: the broker's own { error: { code, message, requestId } }", () => {
  const broker = (code: string, message: string) => ({ error: { code, message, requestId: REQUEST_ID } });

  test.each([
    ['a malformed body', 400, 'BadRequest', 'Not JSON.', () => new MalformedBodyError('Not JSON.')],
    ['a body parameter', 400, 'InvalidRequest', 'Bad consumer.', () => new ValidationError('Bad consumer.', 'consumer', 'body')],
    ['a query parameter', 400, 'InvalidRequest', 'Bad query.', () => new ValidationError('Bad query.', 'q', 'query')],
    ['the lease id in the path', 400, 'InvalidLeaseId', 'Bad id.', () => new ValidationError('Bad id.', 'leaseId', 'path')],
    ['an unknown resource', 404, 'NotFound', 'No such file.', () => new ResourceNotFoundError('file', 'No such file.')],
    ['a conflict', 409, 'Conflict', 'It conflicts.', () => new ConflictError('It conflicts.')],
    ['a tenant the caller may not touch', 403, 'Forbidden', 'Not yours.', () => new ForbiddenError('Not yours.')],
    ['an unsupported media type', 415, 'UnsupportedMediaType', 'No text/plain.', () => new UnsupportedMediaTypeError('No text/plain.')],
    ['a plain Error', 500, 'InternalError', 'The server encountered an internal error.', () => new Error('secret')],
  ] as [string, number, string, string, () => unknown][])('%s -> %i %s, message %j', (_name, status, code, message, error) => {
    expect(answer(leasesEdge, error())).toEqual({ statusCode: status, headers: JSON_TYPE, body: broker(code, message) });
  });

  test.each([
    ['PENDING', 'LeaseNotUploaded'],
    ['REJECTED', 'LeaseRejected'],
    ['EXPIRED', 'LeaseExpired'],
    ['CONSUMED', 'LeaseAlreadyConsumed'],
    ['DELETED', 'LeaseAlreadyConsumed'],
  ] as [LeaseStateError['status'], string][])('a %s lease cannot be consumed: 409 %s', (status, code) => {
    expect(answer(leasesEdge, new LeaseStateError('l', status, `Lease is ${status}.`))).toEqual({ statusCode: 409, headers: JSON_TYPE, body: broker(code, `Lease is ${status}.`) });
  });

  test('a throttle is a 429 TooManyRequests with Retry-After', () => {
    expect(answer(leasesEdge, new RateLimitedError(4))).toEqual({
      statusCode: 429,
      headers: { ...JSON_TYPE, 'retry-after': '4' },
      body: broker('TooManyRequests', 'Request was denied due to request throttling.'),
    });
  });

  test('a refused caller is a 401 Unauthenticated, challenged with both schemes the routes accept', () => {
    expect(answer(leasesEdge, new AuthenticationError('missing', 'Authenticate.'))).toEqual({
      statusCode: 401,
      headers: { ...JSON_TYPE, 'www-authenticate': 'Bearer realm="upload-lease-broker", ACS3-HMAC-SHA256' },
      body: broker('Unauthenticated', 'Authenticate.'),
    });
  });
});

// ---------------------------------------------------------------------------------------------
// shared/api/chain.ts: the middy chain every API Lambda shares
// ---------------------------------------------------------------------------------------------

describe('the middy chain: request ids on every response, log lines with the request and caller keys', () => {
  const ROUTE = 'POST /leases/{leaseId}/consume';
  const event = (headers: Record<string, string> = {}) => httpEvent({ routeKey: ROUTE, rawPath: '/leases/x/consume', pathParameters: { leaseId: 'x' }, headers });
  const chain = (edge: ContractEdge, fn: HttpFn, authenticate: Authenticator = openAuthenticator) => httpHandler(edge, fn, authenticate);
  const echoId: HttpFn = async (_event, ctx) => json(200, { id: ctx.brokerRequestId }, { 'x-own': '1' });
  const rejects: HttpFn = async () => {
    throw new ValidationError('The consumer is invalid.', 'consumer', 'body');
  };
  const as = (caller: Caller): Authenticator => async () => caller;

  test("a successful response carries the contract's request-id headers next to the handler's own", async () => {
    const res = await chain(leasesEdge, echoId)(event(), context());
    const id = JSON.parse(res.body!).id as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.headers).toMatchObject({ 'x-request-id': id, 'x-own': '1' });
    const azure = await chain(azureEdge, echoId)(event({ 'x-ms-client-request-id': 'client-7' }), context());
    const azureId = JSON.parse(azure.body!).id as string;
    expect(azure.headers).toMatchObject({ 'x-ms-request-id': azureId, 'x-ms-correlation-request-id': azureId, 'x-ms-client-request-id': 'client-7', 'x-own': '1' });
  });

  test("a handler's own value for a request-id header wins over the edge's", async () => {
    const res = await chain(leasesEdge, async () => json(200, {}, { 'x-request-id': 'own' }))(event(), context());
    expect(res.headers['x-request-id']).toBe('own');
  });

  test('a rejected request logs one INFO line: contract, both request ids, status, route key and the reason; an open caller adds no caller key', async () => {
    const res = await chain(leasesEdge, rejects)(event(), context());
    expect(res.statusCode).toBe(400);
    const entries = logged();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'INFO',
      message: 'request rejected',
      contract: 'leases',
      contractRequestId: res.headers['x-request-id'],
      apiGatewayRequestId: 'req',
      requestId: res.headers['x-request-id'],
      statusCode: 400,
      routeKey: ROUTE,
      reason: 'The consumer is invalid.',
    });
    expect(entries[0]).not.toHaveProperty('caller');
  });

  test('a failed request logs one ERROR line with the route key and the error', async () => {
    const res = await chain(alibabaEdge, async () => {
      throw new TypeError('boom');
    })(event(), context());
    expect(res.statusCode).toBe(500);
    expect(res.headers['x-acs-request-id']).toBe(JSON.parse(res.body!).RequestId);
    const entries = logged();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'ERROR',
      message: 'request failed',
      contract: 'alibaba-model-studio',
      requestId: res.headers['x-acs-request-id'],
      statusCode: 500,
      routeKey: ROUTE,
      error: expect.objectContaining({ name: 'TypeError', message: 'boom' }),
    });
  });

  test('an Alibaba key is logged by its AccessKeyId, an Azure principal by its principal', async () => {
    await chain(leasesEdge, rejects, as({ kind: 'alibaba-key', accessKeyId: 'LTAI-key-1', workspaces: ['ws'] }))(event(), context());
    await chain(leasesEdge, rejects, as({ kind: 'azure-principal', principal: 'oid-2', subscriptions: ['s'], registries: [] }))(event(), context());
    expect(logged().map((e) => [e.message, e.caller])).toEqual([
      ['request rejected', 'LTAI-key-1'],
      ['request rejected', 'oid-2'],
    ]);
  });

  test('an event without a requestContext (a direct invoke) is still served, with no API Gateway request id', async () => {
    const res = await chain(leasesEdge, rejects)({ headers: {}, routeKey: ROUTE } as unknown as HttpEvent, context());
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!).error.code).toBe('InvalidRequest');
    const [entry] = logged();
    expect(entry).toMatchObject({ message: 'request rejected', contract: 'leases', routeKey: ROUTE });
    expect(entry).not.toHaveProperty('apiGatewayRequestId');
  });

  test("an invocation with a null event is still answered in the contract's format (a 500), never thrown", async () => {
    const res = await chain(leasesEdge, echoId)(null as unknown as HttpEvent, context());
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body!).error).toMatchObject({ code: 'InternalError', message: 'The server encountered an internal error.' });
    expect(res.headers['x-request-id']).toBe(JSON.parse(res.body!).error.requestId);
  });
});

// ---------------------------------------------------------------------------------------------
// shared/api/surface.ts
// ---------------------------------------------------------------------------------------------

describe('the surface router', () => {
  test('an operation whose contract has no handler is refused when the Lambda is built, naming the operation', () => {
    const op = OPERATIONS.find((o) => o.surface === 'leases')!;
    expect(() => operationHandler(op, { edge: leasesEdge, handlers: {} }, { auth: OPEN_AUTH } as BrokerDeps)).toThrow(new Error(`No handler for operation ${op.id}`));
  });
});

// ---------------------------------------------------------------------------------------------
// shared/events/lease-stream.ts and lease-settler.ts
// ---------------------------------------------------------------------------------------------

const imageOf = (lease: LeaseRecord) => ({ ...toItem(lease, DUE_SHARD_LIMITS.min), expiresAt: undefined });

describe('the lease table stream', () => {
  test('an item with a contract but no status is not a lease; a record without a dynamodb part is no change', () => {
    expect(leaseChangeOf(streamRecord(undefined, { leaseId: 'x', contract: 'azure-ml' }))).toBeUndefined();
    expect(leaseChangeOf({} as DynamoDBRecord)).toBeUndefined();
  });
});

describe('the lease settler', () => {
  test('non-lease items, removals and leases with no object work are passed over: no failure, no work, no log line', async () => {
    const f = engineFixture();
    const a = await consumedLease(f, '3'.repeat(32));
    lines.length = 0;
    const res = await leaseSettlerHandler(f)({
      Records: [
        streamRecord(undefined, { leaseId: 'rate#alibaba#ws#1', calls: 1 }, '1'),
        streamRecord(imageOf(a), undefined, '2'),
        streamRecord(undefined, { ...imageOf(a), status: 'UPLOADED' }, '3'),
      ],
    });
    expect(res).toEqual({ batchItemFailures: [] });
    expect([f.objects.copies, f.objects.deleted, lines]).toEqual([[], [], []]);
  });

  test('a consumed lease is moved and logged as settled, not done (its temporary object is still due)', async () => {
    const f = engineFixture();
    const a = await consumedLease(f, '4'.repeat(32));
    lines.length = 0;
    expect(await leaseSettlerHandler(f)({ Records: [streamRecord(undefined, imageOf(a))] })).toEqual({ batchItemFailures: [] });
    expect(logged()).toEqual([expect.objectContaining({ level: 'INFO', message: 'lease settled', leaseId: a.leaseId, status: 'CONSUMED', done: false })]);
  });

  test('a deleted lease loses both objects and is logged as settled and done', async () => {
    const f = engineFixture();
    const a = await consumedLease(f, '5'.repeat(32));
    const deleted = (await deleteConsumed(f, a.leaseId, 'x'))!;
    lines.length = 0;
    expect(await leaseSettlerHandler(f)({ Records: [streamRecord(undefined, imageOf(deleted))] })).toEqual({ batchItemFailures: [] });
    expect(f.objects.deleted).toEqual([a.storedKey, a.objectKey]);
    expect(f.store.item(a.leaseId)!.dueAt).toBeUndefined();
    expect(logged()).toEqual([expect.objectContaining({ level: 'INFO', message: 'lease settled', leaseId: a.leaseId, status: 'DELETED', done: true })]);
  });

  test('a failed settle is logged as a WARN line with the lease id and the error, and reported for retry', async () => {
    const f = engineFixture();
    const a = await consumedLease(f, '6'.repeat(32));
    f.objects.failCopies(new Error('s3 down'), 1);
    lines.length = 0;
    expect(await leaseSettlerHandler(f)({ Records: [streamRecord(undefined, imageOf(a), '42')] })).toEqual({ batchItemFailures: [{ itemIdentifier: '42' }] });
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'lease settling failed; retried from this record',
        leaseId: a.leaseId,
        error: expect.objectContaining({ message: 's3 down' }),
      }),
    ]);
  });

  test('a consumed lease whose temporary object is gone is not retried by the stream: it stays due for the sweep', async () => {
    const f = engineFixture();
    const a = await consumedLease(f, '7'.repeat(32));
    await f.objects.delete(a.objectKey);
    lines.length = 0;
    expect(await leaseSettlerHandler(f)({ Records: [streamRecord(undefined, imageOf(a), '9')] })).toEqual({ batchItemFailures: [] });
    expect(f.store.item(a.leaseId)!.dueAt).toBe(a.dueAt);
    expect(logged()).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'lease settled', leaseId: a.leaseId, status: 'CONSUMED', done: false }));
  });
});

// ---------------------------------------------------------------------------------------------
// shared/events/s3-upload-handler.ts
// ---------------------------------------------------------------------------------------------

describe('the S3 upload event Lambda', () => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const record = (key: string, eventName: string | null = 'ObjectCreated:Put'): S3EventRecord =>
    ({
      ...(eventName !== null ? { eventName } : {}),
      eventTime: new Date(T0 + 1000).toISOString(),
      s3: { object: { key, size: ALIBABA_BODY.length, eTag: md5(ALIBABA_BODY), sequencer: '0A' } },
    }) as unknown as S3EventRecord;
  async function leased(f: EngineFixture, n: number) {
    const spec = alibabaSpec(`${n.toString(16).padStart(32, 'd')}.1736935200000`);
    await issueLease(f, spec, { createOrGet: false });
    f.objects.put(spec.objectKey, { size: ALIBABA_BODY.length, eTag: `"${md5(ALIBABA_BODY)}"`, contentType: 'text/plain', lastModified: T0 + 1000 });
    return spec;
  }

  test('a record without an event name is passed over', async () => {
    const f = engineFixture();
    const a = await leased(f, 1);
    expect(await s3UploadEventHandler(f)({ Records: [record(a.objectKey, null)] })).toEqual({ outcomes: [] });
    expect((await f.store.get(a.leaseId))!.status).toBe('PENDING');
  });

  test('each recorded upload is logged as an INFO line with its key, sequencer and outcome', async () => {
    const f = engineFixture();
    const a = await leased(f, 2);
    lines.length = 0;
    await s3UploadEventHandler(f)({ Records: [record(a.objectKey)] });
    expect(logged()).toEqual([expect.objectContaining({ level: 'INFO', message: 'upload event', key: a.objectKey, sequencer: '0A', outcome: 'uploaded' })]);
  });

  test('a failure that may heal is a WARN line with the key and the error', async () => {
    const f = engineFixture();
    const a = await leased(f, 3);
    f.store.beforeNextTransition(() => {
      throw new DependencyError('dynamodb', true);
    });
    lines.length = 0;
    await expect(s3UploadEventHandler(f)({ Records: [record(a.objectKey)] })).rejects.toBeInstanceOf(DependencyError);
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'upload event failed; the invocation will be retried',
        key: a.objectKey,
        error: expect.objectContaining({ message: 'The service is temporarily unavailable. Retry the request later.' }),
      }),
    ]);
  });

  test('a failure that cannot heal is an ERROR line with the key and the error, and fails the invocation', async () => {
    const f = engineFixture();
    const a = await leased(f, 4);
    f.store.beforeNextTransition(() => {
      throw new DependencyError('dynamodb', false, { cause: new Error('ValidationException') });
    });
    lines.length = 0;
    await expect(s3UploadEventHandler(f)({ Records: [record(a.objectKey)] })).rejects.toBeInstanceOf(DependencyError);
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'upload event could not be processed; the invocation fails, to be retried and then parked',
        key: a.objectKey,
        error: expect.objectContaining({ message: 'The service failed to process the request. Retry the request; the lease was not created.' }),
      }),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// local/s3-auth/body-guard.ts and copy-conditions.ts (the embedded S3's own checks)
// ---------------------------------------------------------------------------------------------

function koa(o: { method: string; headers?: Record<string, string>; body?: string }): KoaContext {
  const headers = o.headers ?? {};
  const req = Object.assign(Readable.from(o.body === undefined ? [] : [Buffer.from(o.body)]), { method: o.method, url: '/bucket/key', headers, rawHeaders: Object.entries(headers).flat() });
  return { method: o.method, req, request: {}, response: {} } as unknown as KoaContext;
}

const unescapeXml = (s: string) => s.replace(/&(lt|gt|amp|apos|quot);/g, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e]!);

/** Runs a middleware; what reached `next` (the body s3rver would read), the status and S3's error document as fields. */
async function run(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<unknown>, ctx: KoaContext, read = true) {
  let reached: string | undefined;
  await middleware(ctx, async () => {
    reached = read && (ctx.method === 'PUT' || ctx.method === 'POST') ? await text(ctx.req) : 'next';
  });
  const body = ctx.body === undefined ? '' : String(ctx.body);
  const fields = Object.fromEntries([...body.matchAll(/<([\w-]+)>([^<]*)<\/\1>/g)].map((m) => [m[1]!, unescapeXml(m[2]!)]));
  if (fields.RequestId !== undefined) expect(fields.RequestId).toMatch(/^[0-9A-F]{16}$/);
  delete fields.RequestId;
  return { reached, status: ctx.status, error: body === '' ? undefined : fields };
}

describe('body guard: S3 error documents, exactly', () => {
  const spoolDir = scratchDir('ulb-guard-e-');
  const guard = bodyGuard(spoolDir);
  const md5 = (s: string) => createHash('md5').update(s).digest('base64');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const put = (headers: Record<string, string>, body: string, method = 'PUT') => run(guard, koa({ method, headers, body }));

  test('a body shorter than its Content-Length: IncompleteBody naming both byte counts', async () => {
    expect(await put({ 'content-length': '20' }, 'twelve bytes')).toEqual({
      reached: undefined,
      status: 400,
      error: {
        Code: 'IncompleteBody',
        Message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.',
        NumberBytesExpected: '20',
        NumberBytesProvided: '12',
      },
    });
  });

  test.each([
    ['junk before a well-formed digest', (d: string) => `x${d}`],
    ['junk after a well-formed digest', (d: string) => `${d}x`],
    ['not base64 at all', () => 'not-base64'],
  ])('a Content-MD5 with %s: InvalidDigest echoing it', async (_name, digest) => {
    const contentMd5 = digest(md5('twelve bytes'));
    expect(await put({ 'content-length': '12', 'content-md5': contentMd5 }, 'twelve bytes')).toEqual({
      reached: undefined,
      status: 400,
      error: { Code: 'InvalidDigest', Message: 'The Content-MD5 you specified was invalid.', 'Content-MD5': contentMd5 },
    });
  });

  test('a Content-MD5 of other bytes: BadDigest with the expected and calculated digests', async () => {
    expect(await put({ 'content-length': '12', 'content-md5': md5('other bytes!') }, 'twelve bytes')).toEqual({
      reached: undefined,
      status: 400,
      error: { Code: 'BadDigest', Message: 'The Content-MD5 you specified did not match what we received.', ExpectedDigest: md5('other bytes!'), CalculatedDigest: md5('twelve bytes') },
    });
  });

  test('an x-amz-content-sha256 of other bytes: XAmzContentSHA256Mismatch with both hashes', async () => {
    expect(await put({ 'content-length': '12', 'x-amz-content-sha256': sha('other') }, 'twelve bytes')).toEqual({
      reached: undefined,
      status: 400,
      error: {
        Code: 'XAmzContentSHA256Mismatch',
        Message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ClientComputedContentSHA256: sha('other'),
        S3ComputedContentSHA256: sha('twelve bytes'),
      },
    });
  });

  test('an x-amz-content-sha256 that is not exactly 64 hex digits is not compared here (the signature guard judges it)', async () => {
    expect((await put({ 'content-length': '12', 'x-amz-content-sha256': `x${sha('other')}` }, 'twelve bytes')).reached).toBe('twelve bytes');
    expect((await put({ 'content-length': '12', 'x-amz-content-sha256': `${sha('other')}x` }, 'twelve bytes')).reached).toBe('twelve bytes');
  });

  test('a POST body is checked too: a wrong Content-MD5 or a short body is refused', async () => {
    expect((await put({ 'content-md5': md5('other') }, 'form', 'POST')).error).toMatchObject({ Code: 'BadDigest' });
    expect((await put({ 'content-length': '9' }, 'form', 'POST')).error).toMatchObject({ Code: 'IncompleteBody', NumberBytesExpected: '9', NumberBytesProvided: '4' });
  });

  test('a GET, HEAD or DELETE passes with its request untouched, whatever digests it carries', async () => {
    for (const method of ['GET', 'HEAD', 'DELETE']) {
      const ctx = koa({ method, headers: { 'content-md5': md5('other'), 'content-length': '3' } });
      const req = ctx.req;
      expect(await run(guard, ctx)).toEqual({ reached: 'next', status: undefined, error: undefined });
      expect(ctx.req).toBe(req);
    }
  });

  test('a PUT without Content-Length: 411 MissingContentLength', async () => {
    expect(await put({}, 'x')).toEqual({ reached: undefined, status: 411, error: { Code: 'MissingContentLength', Message: 'You must provide the Content-Length HTTP header.' } });
  });

  test('a body over the limit: EntityTooLarge; a body that breaks off: IncompleteBody without byte counts', async () => {
    expect(await run(bodyGuard(spoolDir, 4), koa({ method: 'PUT', headers: { 'content-length': '5' }, body: 'fives' }))).toEqual({
      reached: undefined,
      status: 400,
      error: { Code: 'EntityTooLarge', Message: 'Your proposed upload exceeds the maximum allowed size.' },
    });
    const broken = koa({ method: 'PUT', headers: { 'content-length': '10' } });
    async function* breaksOff() {
      yield Buffer.from('abc');
      throw new Error('socket hang up');
    }
    (broken as unknown as { req: Readable }).req = Object.assign(Readable.from(breaksOff()), { method: 'PUT', url: '/b/k', headers: { 'content-length': '10' }, rawHeaders: [] });
    expect(await run(guard, broken)).toEqual({
      reached: undefined,
      status: 400,
      error: { Code: 'IncompleteBody', Message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.' },
    });
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  test('the spooled body is closed once s3rver is done, even when it did not read it', async () => {
    const ctx = koa({ method: 'PUT', headers: { 'content-length': '5' }, body: 'fives' });
    expect((await run(guard, ctx, false)).reached).toBe('next');
    expect((ctx.req as unknown as Readable).destroyed).toBe(true);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  test('a spool directory that is gone surfaces as the failed open of the spool file itself', async () => {
    const missing = join(spoolDir, 'missing-directory');
    await expect(run(bodyGuard(missing), koa({ method: 'PUT', headers: { 'content-length': '1' }, body: 'x' }))).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'open',
      path: expect.stringContaining(missing),
    });
  });
});

describe('copy conditions: 412 PreconditionFailed as S3 words it', () => {
  const store = { getMetadata: async (bucket: string, key: string) => (bucket === 'b' && key === 'tmp/x y' ? { etag: '"ABC"' } : Promise.reject(new Error('NoSuchKey'))) };
  const guard = copySourceConditions(store);
  const copy = (source: string, ifMatch: string) => run(guard, koa({ method: 'PUT', headers: { 'x-amz-copy-source': source, 'x-amz-copy-source-if-match': ifMatch, 'content-length': '0' } }));

  test('another ETag: 412 naming the failed condition', async () => {
    expect(await copy('/b/tmp/x%20y', '"abd"')).toEqual({
      reached: undefined,
      status: 412,
      error: { Code: 'PreconditionFailed', Message: 'At least one of the pre-conditions you specified did not hold', Condition: 'x-amz-copy-source-If-Match' },
    });
  });

  test('a copy source without its leading slash names the same object', async () => {
    expect(await copy('b/tmp/x%20y', '"abd"')).toMatchObject({ status: 412, error: { Code: 'PreconditionFailed' } });
    expect((await copy('b/tmp/x%20y', '"abc"')).reached).toBe('');
  });
});
