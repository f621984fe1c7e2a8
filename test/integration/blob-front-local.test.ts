import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startBlobFront, type BlobFront } from '../../local/blob-front/server.js';
import { LOCAL_CREDENTIALS, startEmulators, type Emulators } from '../../local/emulators.js';
import { containerSasQuery, SAS_VERSION } from '../../shared/contracts/azure/container-sas.js';

/**
 * The local Blob front over HTTP: the deployed function files in the sandbox, in front of the embedded S3
 * with its signature and body checks on, driven with plain fetch the way azure-ai-ml drives a container
 * SAS (HEAD, Put Blob with Content-MD5 and If-None-Match: *, Set Blob Metadata).
 */
const BUCKET = 'blob-front-test';
const REGION = 'us-east-1';
const KEY = 'local-front-key-0123456789abcdef';
const MAX_BLOB_BYTES = 1024 * 1024;

let dataDir: string;
let emulators: Emulators;
let front: BlobFront;
let s3: S3Client;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ulb-blob-front-'));
  emulators = await startEmulators({ dataDir, bucket: BUCKET, table: 'leases', region: REGION });
  front = await startBlobFront({
    host: '127.0.0.1',
    port: 0,
    s3Endpoint: emulators.s3Endpoint,
    bucket: BUCKET,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    signingKey: KEY,
    maxBlobBytes: MAX_BLOB_BYTES,
  });
  s3 = new S3Client({ endpoint: emulators.s3Endpoint, region: REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
});

afterAll(async () => {
  s3?.destroy();
  await front?.close();
  await emulators?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const container = randomBytes(16).toString('hex');
const sas = () => containerSasQuery({ container, permissions: ['r', 'c', 'w'], expiresAt: Date.now() + 3_600_000, key: KEY });
/** A blob name with a space and parentheses: the path S3 sees must be the one the front signed. */
const BLOB = 'code/hello (1).txt';
const BLOB_PATH = 'code/hello%20(1).txt';
const BYTES = Buffer.from('hello from an Azure client\n');
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('base64');

const blobUrl = (path: string, query = sas()) => `${front.url}/${container}/${path}?${query}`;

function putBlob(path: string, bytes: Buffer, headers: Record<string, string> = {}, query = sas()) {
  return fetch(blobUrl(path, query), {
    method: 'PUT',
    headers: {
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-version': SAS_VERSION,
      'content-type': 'application/octet-stream',
      'x-ms-blob-content-type': 'text/plain',
      'content-md5': md5(bytes),
      'if-none-match': '*',
      ...headers,
    },
    body: bytes,
  });
}

async function s3Keys(): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function s3Bytes(key: string): Promise<{ bytes: Buffer; contentType: string | undefined }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { bytes: Buffer.from(await out.Body!.transformToByteArray()), contentType: out.ContentType };
}

const errorCode = (res: Response, body: string) => res.headers.get('x-ms-error-code') ?? /<Code>([^<]+)<\/Code>/.exec(body)?.[1];

// One upload's life, in order: each step relies on the ones before it.
describe('azure-ai-ml against the local Blob front', () => {
  test('HEAD before the upload: 404', async () => {
    const res = await fetch(blobUrl(BLOB_PATH), { method: 'HEAD' });
    expect(res.status).toBe(404);
  });

  test('Put Blob (BlockBlob, Content-MD5, If-None-Match: *): 201 with the Azure headers', async () => {
    const res = await putBlob(BLOB_PATH, BYTES);
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe(`"${createHash('md5').update(BYTES).digest('hex')}"`);
    expect(res.headers.get('x-ms-request-id')).toBeTruthy();
    expect(res.headers.get('x-ms-version')).toBe(SAS_VERSION);
    expect(res.headers.get('x-ms-request-server-encrypted')).toBe('true');
  });

  test('the same Put Blob again: 412, the blob unchanged', async () => {
    const res = await putBlob(BLOB_PATH, Buffer.from('something else entirely'));
    expect(res.status).toBe(412);
    expect((await s3Bytes(`tmp/${container}/${BLOB}`)).bytes.equals(BYTES)).toBe(true);
  });

  test('a wrong Content-MD5: 400 BadDigest, nothing stored', async () => {
    const res = await putBlob('code/other.txt', BYTES, { 'content-md5': md5(Buffer.from('not these bytes')) });
    const body = await res.text();
    expect(res.status).toBe(400);
    expect(errorCode(res, body)).toBe('BadDigest');
    expect(await s3Keys()).not.toContain(`tmp/${container}/code/other.txt`);
  });

  test('HEAD after the upload: 200 with the length and the blob content type', async () => {
    const res = await fetch(blobUrl(BLOB_PATH), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(BYTES.length));
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('x-ms-version')).toBe(SAS_VERSION);
    expect(res.headers.get('x-ms-blob-type')).toBe('BlockBlob');
  });

  test('Set Blob Metadata: 200, and the object bytes unchanged', async () => {
    const res = await fetch(`${blobUrl(BLOB_PATH)}&comp=metadata`, {
      method: 'PUT',
      headers: { 'x-ms-version': SAS_VERSION, 'x-ms-meta-upload_status': 'completed', 'x-ms-meta-name': 'my-code', 'x-ms-meta-version': '1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBeTruthy();
    expect((await s3Bytes(`tmp/${container}/${BLOB}`)).bytes.equals(BYTES)).toBe(true);
  });

  test("the object is in S3 at tmp/<container>/<path>, the same bytes, the blob's content type", async () => {
    expect(await s3Keys()).toEqual([`tmp/${container}/${BLOB}`]);
    const stored = await s3Bytes(`tmp/${container}/${BLOB}`);
    expect(stored.bytes.equals(BYTES)).toBe(true);
    expect(stored.contentType).toBe('text/plain');
  });

  test('a tampered signature: 403 AuthenticationFailed, nothing stored', async () => {
    const tampered = sas().replace(/sig=([^&]+)/, (_m, sig: string) => `sig=${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`);
    const res = await putBlob('code/tampered.txt', BYTES, {}, tampered);
    const body = await res.text();
    expect(res.status).toBe(403);
    expect(errorCode(res, body)).toBe('AuthenticationFailed');
    expect(body).toContain('Signature did not match');
    expect(await s3Keys()).toEqual([`tmp/${container}/${BLOB}`]);
  });

  test('a Put Blob over the limit: 413 before any byte reaches S3', async () => {
    const res = await putBlob('code/big.bin', Buffer.alloc(MAX_BLOB_BYTES + 1));
    const body = await res.text();
    expect(res.status).toBe(413);
    expect(errorCode(res, body)).toBe('RequestBodyTooLarge');
    expect(await s3Keys()).toEqual([`tmp/${container}/${BLOB}`]);
  });
});
