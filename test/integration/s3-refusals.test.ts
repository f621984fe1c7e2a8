import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { LOCAL_CREDENTIALS } from '../../local/emulators.js';
import { createPresigner } from '../../shared/adapters/presign.js';
import { API_VERSION, AZURE_PATH, getLease, postForm, postJson, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { rawRequest } from '../support/raw-http.js';
import { allObjectKeys, objectExists } from '../support/storage.js';

/**
 * The embedded S3 refuses what S3 refuses, on real requests over HTTP: each refusal leaves the lease
 * PENDING and nothing stored, and the lease still accepts the right upload afterwards.
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(() => broker.dispose());

const BODY = 'hello';
const BODY_MD5_HEX = '5d41402abc4b2a76b9719d911017c592';

interface AlibabaLease {
  id: string;
  url: string;
  headers: Record<string, string>;
  key: string;
}

async function alibabaLease(): Promise<AlibabaLease> {
  const res = await postForm(broker.url, '/ws_refusals/datacenter/category/default', { FileName: 'hello.txt', Md5: BODY_MD5_HEX, SizeInBytes: String(BODY.length) });
  expect(res.status).toBe(200);
  const { FileUploadLeaseId: id, Param } = res.json.Data;
  const key = decodeURIComponent(new URL(Param.Url).pathname.split('/').slice(2).join('/'));
  return { id, url: Param.Url, headers: Param.Headers, key };
}

/** The request target of a URL, sent as is (fetch would re-encode it). */
const targetOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

async function put(url: string, headers: Record<string, string>, body: string | Buffer = BODY) {
  return rawRequest(broker.s3Endpoint, { method: 'PUT', path: targetOf(url), headers: { 'content-length': String(Buffer.byteLength(body)), ...headers }, body });
}

const errorCode = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1];

/** After a refusal: nothing under the lease's key, the lease PENDING once every S3 event is handled. */
async function expectUntouched(lease: { id: string; key: string }) {
  await broker.eventsSettled();
  expect(await objectExists(broker, lease.key)).toBe(false);
  const status = await getLease(broker.url, lease.id);
  expect(status.json.status).toBe('PENDING');
}

describe('presigned PUT (Alibaba lease: Content-Type, Content-MD5 and Content-Length signed)', () => {
  let lease: AlibabaLease;
  beforeAll(async () => {
    lease = await alibabaLease();
  });

  const refusals: Array<[string, () => Promise<{ status: number; text: string }>, number, string]> = [
    ['a changed signature', () => put(lease.url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, d: string) => `X-Amz-Signature=${d === '0' ? '1' : '0'}`), lease.headers), 403, 'SignatureDoesNotMatch'],
    ['the URL used for another key', () => put(lease.url.replace(/\/([^/?]+)\?/, '/other-$1?'), lease.headers), 403, 'SignatureDoesNotMatch'],
    ['a changed query parameter', () => put(lease.url.replace(/x-id=PutObject/, 'x-id=PutObject&extra=1'), lease.headers), 403, 'SignatureDoesNotMatch'],
    ['a second X-Amz-Signature', () => put(`${lease.url}&X-Amz-Signature=${'0'.repeat(64)}`, lease.headers), 403, 'SignatureDoesNotMatch'],
    ['another Content-Type', () => put(lease.url, { ...lease.headers, 'Content-Type': 'text/html' }), 403, 'SignatureDoesNotMatch'],
    ['no Content-MD5', () => put(lease.url, Object.fromEntries(Object.entries(lease.headers).filter(([n]) => n.toLowerCase() !== 'content-md5'))), 403, 'SignatureDoesNotMatch'],
    ['a body of another length', () => put(lease.url, lease.headers, 'hello!'), 403, 'SignatureDoesNotMatch'],
    ['an unsigned x-amz-* header', () => put(lease.url, { ...lease.headers, 'x-amz-acl': 'public-read' }), 403, 'AccessDenied'],
    ['an unknown access key', () => put(lease.url.replace(`X-Amz-Credential=${LOCAL_CREDENTIALS.accessKeyId}`, 'X-Amz-Credential=AKIDUNKNOWN'), lease.headers), 403, 'InvalidAccessKeyId'],
    ['X-Amz-Expires over a week', () => put(lease.url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801'), lease.headers), 400, 'AuthorizationQueryParametersError'],
    ['no signature at all', () => put(lease.url.split('?')[0]!, lease.headers), 403, 'AccessDenied'],
    ['a body whose MD5 differs from the signed Content-MD5', () => put(lease.url, lease.headers, 'HELLO'), 400, 'BadDigest'],
  ];
  for (const [what, send, status, code] of refusals) {
    it(`refuses ${what}: ${status} ${code} in S3's XML, nothing stored, lease PENDING`, async () => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(errorCode(res.text)).toBe(code);
      await expectUntouched(lease);
    });
  }

  it('refuses a URL past X-Amz-Date + X-Amz-Expires with 403 "Request has expired"', async () => {
    // The same key and headers signed with the emulator's key an hour ago for 60 s: a valid, expired URL.
    const presigner = createPresigner({ region: broker.config.region, bucket: broker.config.bucketName, credentials: LOCAL_CREDENTIALS, endpoint: broker.s3Endpoint });
    const expired = await presigner.presignPut(
      { key: lease.key, expiresInSeconds: 60, contentType: lease.headers['Content-Type'], contentMd5: lease.headers['Content-MD5'], contentLength: BODY.length },
      Date.now() - 3600_000,
    );
    const res = await put(expired, lease.headers);
    expect([res.status, errorCode(res.text)]).toEqual([403, 'AccessDenied']);
    expect(res.text).toContain('<Message>Request has expired</Message>');
    await expectUntouched(lease);
  });

  it('refuses a body shorter than its Content-Length: nothing stored', async () => {
    const u = new URL(lease.url);
    const head = [`PUT ${targetOf(lease.url)} HTTP/1.1`, `Host: ${u.host}`, ...Object.entries(lease.headers).map(([n, v]) => `${n}: ${v}`), 'Content-Length: 5', 'Connection: close', '', ''].join('\r\n');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname, () => {
        socket.write(head);
        socket.end('hel'); // 3 of the 5 bytes, then the client closes its side
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    // Node's HTTP parser or the body guard answers 400; either way no 2xx.
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    await expectUntouched(lease);
  });

  it('after all of that, the right PUT is accepted and the lease becomes UPLOADED', async () => {
    const res = await put(lease.url, lease.headers);
    expect(res.status).toBe(200);
    await broker.eventsSettled();
    expect((await getLease(broker.url, lease.id)).json.status).toBe('UPLOADED');
  });
});

describe('presigned PUT (Azure lease: only the host signed)', () => {
  it('refuses a changed signature or key, accepts the URL as given', async () => {
    const res = await postJson(broker.url, `${AZURE_PATH({ name: 'refusals' })}?api-version=${API_VERSION}`, { pendingUploadId: 'refusals-1' });
    expect(res.status).toBe(200);
    const sasUri: string = res.json.blobReferenceForConsumption.credential.sasUri;
    const leaseId = res.headers.get('x-lease-id')!;
    const key = decodeURIComponent(new URL(sasUri).pathname.split('/').slice(2).join('/'));
    const tampered = await put(sasUri.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=abcd'), {});
    expect([tampered.status, errorCode(tampered.text)]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(tampered.text).toContain('<CanonicalRequest>PUT\n');
    const elsewhere = await put(sasUri.replace(/\/([^/?]+)\?/, '/x$1?'), {});
    expect([elsewhere.status, errorCode(elsewhere.text)]).toEqual([403, 'SignatureDoesNotMatch']);
    await expectUntouched({ id: leaseId, key });
    expect((await put(sasUri, {})).status).toBe(200);
    await broker.eventsSettled();
    expect((await getLease(broker.url, leaseId)).json.status).toBe('UPLOADED');
  });
});

describe('presigned GET and HEAD, and header-signed SDK requests', () => {
  const client = () =>
    new S3Client({
      region: broker.config.region,
      endpoint: broker.s3Endpoint,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });

  it('a presigned GET reads the object; tampered, expired or as HEAD with a GET signature it is refused', async () => {
    const s3 = client();
    const Key = 'signed-reads/object.txt';
    await s3.send(new PutObjectCommand({ Bucket: broker.config.bucketName, Key, Body: 'readable' }));
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: broker.config.bucketName, Key }), { expiresIn: 60 });
    const ok = await rawRequest(broker.s3Endpoint, { method: 'GET', path: targetOf(getUrl) });
    expect([ok.status, ok.text]).toEqual([200, 'readable']);

    const tampered = await rawRequest(broker.s3Endpoint, { method: 'GET', path: targetOf(getUrl.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=x')) });
    expect([tampered.status, errorCode(tampered.text)]).toEqual([403, 'SignatureDoesNotMatch']);
    const asHead = await rawRequest(broker.s3Endpoint, { method: 'HEAD', path: targetOf(getUrl) });
    expect([asHead.status, asHead.text]).toEqual([403, '']);

    const headUrl = await getSignedUrl(s3, new HeadObjectCommand({ Bucket: broker.config.bucketName, Key }), { expiresIn: 60 });
    expect((await rawRequest(broker.s3Endpoint, { method: 'HEAD', path: targetOf(headUrl) })).status).toBe(200);

    const expired = await getSignedUrl(s3, new GetObjectCommand({ Bucket: broker.config.bucketName, Key }), { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) });
    const late = await rawRequest(broker.s3Endpoint, { method: 'GET', path: targetOf(expired) });
    expect([late.status, errorCode(late.text)]).toEqual([403, 'AccessDenied']);
    s3.destroy();
  });

  it('header-signed requests with the wrong secret are refused; a wrong Content-MD5 is BadDigest and stores nothing', async () => {
    const wrong = new S3Client({ region: broker.config.region, endpoint: broker.s3Endpoint, forcePathStyle: true, credentials: { ...LOCAL_CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    await expect(wrong.send(new HeadObjectCommand({ Bucket: broker.config.bucketName, Key: 'signed-reads/object.txt' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    wrong.destroy();

    const s3 = client();
    const Key = 'signed-writes/md5.txt';
    await expect(
      s3.send(new PutObjectCommand({ Bucket: broker.config.bucketName, Key, Body: 'abc', ContentMD5: 'XUFAKrxLKna5cZ2REBfFkg==' })),
    ).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    expect(await allObjectKeys(broker)).not.toContain(Key);

    // A signed x-amz-content-sha256 that is not the body's: signed correctly, refused for the body.
    const otherHash = createHash('sha256').update('not the body').digest('hex');
    s3.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = otherHash;
        return next(args);
      },
      { step: 'build', name: 'declareAnotherPayloadHash' },
    );
    await expect(s3.send(new PutObjectCommand({ Bucket: broker.config.bucketName, Key, Body: 'abc' }))).rejects.toMatchObject({
      name: 'XAmzContentSHA256Mismatch',
      $metadata: { httpStatusCode: 400 },
    });
    expect(await allObjectKeys(broker)).not.toContain(Key);
    s3.destroy();
  });
});

describe('S3_VERIFY_SIGNATURES=false (debugging only)', () => {
  it('lets a tampered URL through, but still checks the body against Content-MD5', async () => {
    const lax = await startTestBroker({ env: { S3_VERIFY_SIGNATURES: 'false' } });
    try {
      const res = await postForm(lax.url, '/ws_lax/datacenter/category/default', { FileName: 'hello.txt', Md5: BODY_MD5_HEX, SizeInBytes: '5' });
      const { Url, Headers } = res.json.Data.Param as { Url: string; Headers: Record<string, string> };
      const tampered = Url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=abcd');
      const send = (body: string) =>
        rawRequest(lax.s3Endpoint, { method: 'PUT', path: targetOf(tampered), headers: { ...Headers, 'content-length': '5' }, body });
      expect(errorCode((await send('HELLO')).text)).toBe('BadDigest');
      expect((await send(BODY)).status).toBe(200);
    } finally {
      await lax.dispose();
    }
  });
});
