import { describe, expect, test } from '@jest/globals';
import type { KoaContext } from '../../../local/emulator-packages.js';
import { writeConditions } from '../../../local/s3-auth/write-conditions.js';

/**
 * The embedded S3's conditional PutObject (local/s3-auth/write-conditions.ts), which the Blob front
 * relies on for azure-ai-ml's `If-None-Match: *`: on requests built in memory against a fake store.
 */
const STORED = new Map([['uploads/tmp/abc/code/a b.txt', '"5d41402abc4b2a76b9719d911017c592"']]);
const lookups: string[] = [];
const store = {
  async getMetadata(bucket: string, key: string) {
    lookups.push(`${bucket}/${key}`);
    const etag = STORED.get(`${bucket}/${key}`);
    if (etag === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return { etag };
  },
};

function context(method: string, url: string, headers: Record<string, string>): KoaContext {
  const query = Object.fromEntries(new URLSearchParams(url.split('?')[1] ?? ''));
  return { method, query, req: { method, url, headers }, request: {}, response: {} } as unknown as KoaContext;
}

async function run(method: string, url: string, headers: Record<string, string>) {
  const ctx = context(method, url, headers);
  let reached = false;
  await writeConditions(store)(ctx, async () => {
    reached = true;
  });
  return { reached, status: ctx.status, code: /<Code>(\w+)<\/Code>/.exec(String(ctx.body ?? ''))?.[1] };
}

async function refusalBody(method: string, url: string, headers: Record<string, string>): Promise<string> {
  const ctx = context(method, url, headers);
  await writeConditions(store)(ctx, async () => undefined);
  return String(ctx.body);
}

const EXISTING = '/uploads/tmp/abc/code/a%20b.txt';
const MISSING = '/uploads/tmp/abc/code/new.txt';

describe('If-None-Match: * on PUT', () => {
  test('an existing key (its name percent-encoded in the URL): 412 PreconditionFailed, not stored', async () => {
    expect(await run('PUT', EXISTING, { 'if-none-match': '*' })).toEqual({ reached: false, status: 412, code: 'PreconditionFailed' });
    const body = await refusalBody('PUT', EXISTING, { 'if-none-match': '*' });
    expect(body).toContain('<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition>');
  });

  test('a new key: stored', async () => {
    expect((await run('PUT', MISSING, { 'if-none-match': '*' })).reached).toBe(true);
  });

  test('any other If-None-Match value: 501 NotImplemented, as S3', async () => {
    expect(await run('PUT', MISSING, { 'if-none-match': '"abc"' })).toEqual({ reached: false, status: 501, code: 'NotImplemented' });
    expect(await run('PUT', MISSING, { 'if-none-match': ' *' })).toEqual({ reached: false, status: 501, code: 'NotImplemented' });
    const body = await refusalBody('PUT', MISSING, { 'if-none-match': '"abc"' });
    expect(body).toContain('<Message>A header you provided implies functionality that is not implemented</Message><Header>If-None-Match</Header>');
  });
});

describe('If-Match on PUT', () => {
  test('the stored ETag: stored; another: 412; no object: 404 NoSuchKey', async () => {
    expect((await run('PUT', EXISTING, { 'if-match': '"5d41402abc4b2a76b9719d911017c592"' })).reached).toBe(true);
    expect(await run('PUT', EXISTING, { 'if-match': '"00000000000000000000000000000000"' })).toEqual({ reached: false, status: 412, code: 'PreconditionFailed' });
    expect(await run('PUT', MISSING, { 'if-match': '"5d41402abc4b2a76b9719d911017c592"' })).toEqual({ reached: false, status: 404, code: 'NoSuchKey' });
    expect(await refusalBody('PUT', MISSING, { 'if-match': '"x"' })).toContain('<Message>The specified key does not exist.</Message><Key>tmp/abc/code/new.txt</Key>');
    expect(await refusalBody('PUT', EXISTING, { 'if-match': '"x"' })).toContain('<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-Match</Condition>');
  });

  test('the ETag compared without quotes, case and all', async () => {
    expect((await run('PUT', EXISTING, { 'if-match': '5d41402abc4b2a76b9719d911017c592' })).reached).toBe(true);
    expect((await run('PUT', EXISTING, { 'if-match': '"5D41402ABC4B2A76B9719D911017C592"' })).status).toBe(412);
  });
});

describe('left alone', () => {
  test('GET and HEAD conditions are s3rver’s own (304), a copy has its own conditions, a part upload none', async () => {
    expect((await run('GET', EXISTING, { 'if-none-match': '*' })).reached).toBe(true);
    expect((await run('PUT', EXISTING, { 'if-none-match': '*', 'x-amz-copy-source': '/uploads/x' })).reached).toBe(true);
    expect((await run('PUT', `${EXISTING}?partNumber=1&uploadId=u`, { 'if-none-match': '*' })).reached).toBe(true);
    expect((await run('PUT', '/uploads', { 'if-none-match': '*' })).reached).toBe(true); // a bucket, not an object
    expect((await run('PUT', '/uploads/%E0%A4%A', { 'if-none-match': '*' })).reached).toBe(true); // s3rver refuses it
  });

  test('a PUT without conditions is not looked up', async () => {
    lookups.length = 0;
    expect((await run('PUT', EXISTING, {})).reached).toBe(true);
    expect(lookups).toEqual([]);
    await run('PUT', EXISTING, { 'if-none-match': '*' });
    expect(lookups).toEqual(['uploads/tmp/abc/code/a b.txt']);
  });
});
