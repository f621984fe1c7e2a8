import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, test } from '@jest/globals';
import type { KoaContext } from '../../local/emulator-packages.js';
import { bodyGuard } from '../../local/s3-auth/body-guard.js';
import { copySourceConditions } from '../../local/s3-auth/copy-conditions.js';
import { signatureGuard } from '../../local/s3-auth/signature-guard.js';
import { createPresigner } from '../../shared/adapters/presign.js';
import { scratchDir } from '../support/scratch.js';

/**
 * The embedded S3's own checks, as Koa middleware in front of s3rver, on requests built in memory:
 * what S3 refuses (and with which code), and that what it accepts reaches s3rver unchanged.
 */
const CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret-0123456789' };
const HOST = '127.0.0.1:4569';

function context(o: { method: string; url?: string; headers?: Record<string, string>; body?: Buffer | string }): KoaContext {
  const headers = o.headers ?? {};
  const req = Object.assign(Readable.from(o.body === undefined ? [] : [Buffer.from(o.body)]), {
    method: o.method,
    url: o.url ?? '/bucket/key',
    headers,
    rawHeaders: Object.entries(headers).flat(),
  });
  return { method: o.method, req, request: {}, response: {} } as unknown as KoaContext;
}

async function run(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<unknown>, ctx: KoaContext) {
  let reached: string | undefined;
  await middleware(ctx, async () => {
    reached = ctx.method === 'PUT' || ctx.method === 'POST' ? await text(ctx.req) : 'next';
  });
  const body = ctx.body === undefined ? '' : String(ctx.body);
  return { reached, status: ctx.status, code: /<Code>(\w+)<\/Code>/.exec(body)?.[1] };
}

describe('body guard: nothing reaches s3rver unless the whole body arrived and matched', () => {
  const spoolDir = scratchDir('ulb-guard-');
  const guard = bodyGuard(spoolDir);
  const md5 = (s: string) => createHash('md5').update(s).digest('base64');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  test('a body that matches its length and digests is handed on as it came; the spool file is removed', async () => {
    const body = 'exact bytes';
    const ctx = context({ method: 'PUT', headers: { 'content-length': String(body.length), 'content-md5': md5(body), 'x-amz-content-sha256': sha(body) }, body });
    expect(await run(guard, ctx)).toEqual({ reached: body, status: undefined, code: undefined });
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  test.each([
    ['a short body', { 'content-length': '20' }, 'twelve bytes', 400, 'IncompleteBody'],
    ['a long body', { 'content-length': '2' }, 'twelve bytes', 400, 'IncompleteBody'],
    ['a malformed Content-MD5', { 'content-length': '12', 'content-md5': 'not-base64' }, 'twelve bytes', 400, 'InvalidDigest'],
    ['a Content-MD5 of other bytes', { 'content-length': '12', 'content-md5': md5('other bytes!') }, 'twelve bytes', 400, 'BadDigest'],
    ['an x-amz-content-sha256 of other bytes', { 'content-length': '12', 'x-amz-content-sha256': sha('other') }, 'twelve bytes', 400, 'XAmzContentSHA256Mismatch'],
    ['a PUT without Content-Length', {}, 'x', 411, 'MissingContentLength'],
  ] as const)('%s is refused (%s) before s3rver sees it', async (_name, headers, body, status, code) => {
    expect(await run(guard, context({ method: 'PUT', headers: { ...headers }, body }))).toEqual({ reached: undefined, status, code });
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  test('an unsigned or streaming x-amz-content-sha256 is not compared; a POST needs no length; a GET passes untouched', async () => {
    expect((await run(guard, context({ method: 'PUT', headers: { 'content-length': '1', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, body: 'x' }))).reached).toBe('x');
    expect((await run(guard, context({ method: 'POST', headers: {}, body: 'form' }))).reached).toBe('form');
    expect((await run(guard, context({ method: 'GET' }))).reached).toBe('next');
  });

  test('a body over the limit, and a body that breaks off, are client errors', async () => {
    expect(await run(bodyGuard(spoolDir, 4), context({ method: 'PUT', headers: { 'content-length': '5' }, body: 'fives' }))).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(await run(bodyGuard(spoolDir, 5), context({ method: 'PUT', headers: { 'content-length': '5' }, body: 'fives' }))).toMatchObject({ reached: 'fives' });
    const broken = context({ method: 'PUT', headers: { 'content-length': '10' } });
    async function* breaksOff() {
      yield Buffer.from('abc');
      throw new Error('socket hang up');
    }
    (broken as unknown as { req: Readable }).req = Object.assign(Readable.from(breaksOff()), { method: 'PUT', url: '/b/k', headers: { 'content-length': '10' }, rawHeaders: [] });
    expect(await run(guard, broken)).toMatchObject({ status: 400, code: 'IncompleteBody' });
    // The disk failing is the emulator's own failure, not the client's: it surfaces (a 500 from s3rver).
    const noDisk = bodyGuard(join(spoolDir, 'missing-directory'));
    await expect(run(noDisk, context({ method: 'PUT', headers: { 'content-length': '1' }, body: 'x' }))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe("copy conditions: a copy happens only while the source still has the ETag the broker verified", () => {
  const store = { getMetadata: async (bucket: string, key: string) => (bucket === 'b' && key === 'tmp/x y' ? { etag: '"ABC"' } : Promise.reject(new Error('NoSuchKey'))) };
  const guard = copySourceConditions(store);
  const copy = (ifMatch?: string, source = '/b/tmp/x%20y', method = 'PUT') =>
    run(guard, context({ method, headers: { 'x-amz-copy-source': source, ...(ifMatch !== undefined ? { 'x-amz-copy-source-if-match': ifMatch } : {}), 'content-length': '0' } }));

  test('the same ETag (quotes and case aside) copies; another is 412 PreconditionFailed', async () => {
    expect((await copy('"abc"')).reached).toBe('');
    expect((await copy('abc')).reached).toBe('');
    expect(await copy('"abd"')).toEqual({ reached: undefined, status: 412, code: 'PreconditionFailed' });
  });

  test('without a condition, a source, or as another method, s3rver decides; a missing source is its NoSuchKey', async () => {
    expect((await copy(undefined)).reached).toBe('');
    expect((await copy('"abd"', '/b/tmp/missing')).reached).toBe('');
    expect((await copy('"abd"', '/b/tmp/x%20y', 'POST')).reached).toBe('');
    expect((await run(guard, context({ method: 'PUT', headers: { 'x-amz-copy-source-if-match': 'x', 'content-length': '0' } }))).reached).toBe('');
  });
});

describe('signature guard: every request is signed by the emulator credentials, as S3 with Block Public Access demands', () => {
  const now = Date.UTC(2026, 10, 30, 12);
  const guard = signatureGuard({ region: 'eu-west-1', credentials: [CREDENTIALS], now: () => now });
  const presigner = createPresigner({ region: 'eu-west-1', bucket: 'bucket', credentials: CREDENTIALS, endpoint: `http://${HOST}` });
  const target = (url: string) => url.slice(url.indexOf('/', 'http://'.length));

  test('a presigned GET by the emulator key passes; changed, unsigned or by another key it is 403', async () => {
    const url = await presigner.presignGet('tmp/k/file.txt', 60, now);
    const get = (u: string, headers: Record<string, string> = { host: HOST }) => run(guard, context({ method: 'GET', url: target(u), headers }));
    expect((await get(url)).reached).toBe('next');
    expect(await get(url.replace('file.txt', 'other.txt'))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await get(url, { host: 'elsewhere:1' })).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await get('http://h/bucket/tmp/k/file.txt')).toMatchObject({ status: 403, code: 'AccessDenied' });
    const other = createPresigner({ region: 'eu-west-1', bucket: 'bucket', credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' }, endpoint: `http://${HOST}` });
    expect(await get(await other.presignGet('tmp/k/file.txt', 60, now))).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
  });

  test('a CORS preflight carries no credentials and passes', async () => {
    expect((await run(guard, context({ method: 'OPTIONS', url: '/bucket/k', headers: { host: HOST } }))).reached).toBe('next');
  });

  test('header-signed requests must declare their payload hash as S3 accepts it', async () => {
    const authFor = (signed: string) => `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20261130/eu-west-1/s3/aws4_request, SignedHeaders=${signed}, Signature=${'a'.repeat(64)}`;
    const auth = authFor('host;x-amz-content-sha256;x-amz-date');
    const call = (extra: Record<string, string>) => run(guard, context({ method: 'GET', url: '/bucket/k', headers: { host: HOST, 'x-amz-date': '20261130T120000Z', authorization: auth, ...extra } }));
    expect(await run(guard, context({ method: 'GET', url: '/bucket/k', headers: { host: HOST, 'x-amz-date': '20261130T120000Z', authorization: authFor('host;x-amz-date') } }))).toMatchObject({
      status: 400,
      code: 'InvalidRequest',
    });
    expect(await call({ 'x-amz-content-sha256': 'nonsense' })).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(await call({ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' })).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await call({ 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' })).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await call({ 'x-amz-content-sha256': 'b'.repeat(64) })).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });
});
