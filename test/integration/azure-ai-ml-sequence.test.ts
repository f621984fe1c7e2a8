import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerSasQuery, type SasPermission } from '../../shared/contracts/azure/container-sas.js';
import { FRONT_KEY_FILE } from '../../local/blob-front/signing-key.js';
import { API_VERSION, AZURE_PATH, getLease, postJson, readResponse, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { allObjectKeys, readObject } from '../support/storage.js';
import { closeRawAgent, rawRequest } from '../support/raw-http.js';

/**
 * azure-ai-ml's upload of a code directory (`ml_client.code.create_or_update`), replayed over HTTP with
 * the requests and headers its storage client sends (azure-ai-ml _blob_storage_helper.py on
 * azure-storage-blob): the container is the last path segment of the sasUri, only the SAS parameters
 * are kept (re-quoted), each file is a Put Blob with Content-MD5 and If-None-Match: *, the first blob
 * gets the upload_status metadata, then the code version is created with urljoin(blobUri, "<container>/<dir>").
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ env: { AZURE_UPLOADS: 'blob-front' } });
});
afterAll(async () => {
  closeRawAgent();
  await broker.dispose();
});

const PYTHON_HEADERS = {
  'user-agent': 'azsdk-python-storage-blob/12.24.0 Python/3.12.3 (Linux-6.8.0-x86_64-with-glibc2.39)',
  'x-ms-version': '2025-05-05',
  accept: 'application/xml',
} as const;

const requestHeaders = () => ({ ...PYTHON_HEADERS, 'x-ms-date': new Date().toUTCString(), 'x-ms-client-request-id': randomUUID() });
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

/** What azure-storage-blob keeps of a sasUri: the SAS names only, values unquoted then quoted again. */
function pythonSas(sasUri: string): { containerUrl: string; query: string } {
  const url = new URL(sasUri);
  const kept = [...url.searchParams].filter(([name]) => ['sv', 'sr', 'sp', 'se', 'st', 'sig', 'spr', 'skoid'].includes(name));
  // urllib.parse.quote(value, safe='') : ':' and '+' and '/' and '=' all escaped.
  const query = kept.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('&');
  return { containerUrl: `${url.origin}${url.pathname}`, query };
}

async function start(name: string) {
  const o = { ws: 'ws-aiml', name, version: '1' };
  const started = await postJson(broker.url, `${AZURE_PATH(o)}?api-version=${API_VERSION}`, {});
  expect(started.status).toBe(200);
  const ref = started.json.blobReferenceForConsumption;
  return { o, sasUri: ref.credential.sasUri as string, blobUri: ref.blobUri as string, leaseId: started.headers.get('x-lease-id')! };
}

const putBlob = (url: string, body: Buffer, extra: Record<string, string> = {}) =>
  fetch(url, {
    method: 'PUT',
    headers: { ...requestHeaders(), 'x-ms-blob-type': 'BlockBlob', 'content-length': String(body.length), 'content-md5': md5(body), 'if-none-match': '*', ...extra },
    body,
  });

const errorCode = async (res: Response) => ({ status: res.status, code: res.headers.get('x-ms-error-code'), body: await res.text() });

describe('azure-ai-ml request sequence against the Blob front', () => {
  test('HEAD 404, Put Blob per file (201), 412 on an existing blob, metadata 200, then the code version (201)', async () => {
    const { o, sasUri, blobUri, leaseId } = await start('aiml');
    const { containerUrl, query } = pythonSas(sasUri);
    const dir = 'my_code';
    const files: Record<string, Buffer> = { 'main.py': Buffer.from('import os\n'), 'lib/util.py': Buffer.from('def f(): pass\n') };
    const first = `${containerUrl}/${dir}/main.py?${query}`;

    // 1. Is it there yet? 404 means "upload it".
    const head = await fetch(first, { method: 'HEAD', headers: requestHeaders() });
    expect(head.status).toBe(404);

    // 2. Put Blob per file, never overwriting.
    for (const [name, body] of Object.entries(files)) {
      const res = await putBlob(`${containerUrl}/${dir}/${name}?${query}`, body);
      expect(res.status).toBe(201);
      expect(res.headers.get('etag')).toBeTruthy();
      expect(res.headers.get('x-ms-request-id')).toBeTruthy();
    }
    const again = await putBlob(first, Buffer.from('other'));
    expect(again.status).toBe(412);
    expect((await readObject(broker, `tmp/${leaseId}/${dir}/main.py`)).body).toEqual(files['main.py']);

    // A body that does not match its Content-MD5 is refused by storage, and nothing is stored.
    const bad = await putBlob(`${containerUrl}/${dir}/bad.py?${query}`, Buffer.from('x = 1\n'), { 'content-md5': md5(Buffer.from('y')) });
    expect(bad.status).toBe(400);
    expect(await allObjectKeys(broker)).not.toContain(`tmp/${leaseId}/${dir}/bad.py`);

    // 3. The upload marker on the first blob: answered by the front, the blob untouched.
    const meta = await fetch(`${containerUrl}/${dir}/main.py?comp=metadata&${query}`, {
      method: 'PUT',
      headers: { ...requestHeaders(), 'x-ms-meta-upload_status': 'completed', 'x-ms-meta-name': 'aiml', 'x-ms-meta-version': '1', 'content-length': '0' },
    });
    expect(meta.status).toBe(200);
    expect((await readObject(broker, `tmp/${leaseId}/${dir}/main.py`)).body).toEqual(files['main.py']);
    const headAfter = await fetch(first, { method: 'HEAD', headers: requestHeaders() });
    expect(headAfter.status).toBe(200);
    expect(headAfter.headers.get('content-length')).toBe(String(files['main.py']!.length));

    // 4. The code version, with the codeUri azure-ai-ml computes.
    const codeUri = new URL(`${leaseId}/${dir}`, blobUri).toString();
    const created = await readResponse(
      await fetch(`${broker.url}${AZURE_PATH(o).replace(/\/startPendingUpload$/, '')}?api-version=${API_VERSION}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ properties: { codeUri, isAnonymous: false, properties: {} } }),
      }),
    );
    expect(created.status).toBe(201);
    await broker.eventsSettled();
    expect((await getLease(broker.url, leaseId)).json).toMatchObject({ status: 'CONSUMED', size: files['main.py']!.length + files['lib/util.py']!.length });
    const keys = await allObjectKeys(broker);
    expect(keys).toContain(`files/${leaseId}/${dir}/main.py`);
    expect(keys).toContain(`files/${leaseId}/${dir}/lib/util.py`);
  });

  test('a file over 64 MiB goes as Put Block: refused with what is supported, nothing stored', async () => {
    const { sasUri, leaseId } = await start('big');
    const { containerUrl, query } = pythonSas(sasUri);
    const block = randomBytes(4 * 1024 * 1024);
    const blockId = encodeURIComponent(Buffer.from('00000').toString('base64'));
    const res = await fetch(`${containerUrl}/big/model.bin?comp=block&blockid=${blockId}&${query}`, {
      method: 'PUT',
      headers: { ...requestHeaders(), 'content-length': String(block.length), 'content-md5': md5(block) },
      body: block,
    });
    const refused = await errorCode(res);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/<Error><Code>[A-Za-z]+<\/Code><Message>[^<]*Put Blob[^<]*<\/Message>/);
    expect(refused.body).toMatch(/1073741824 bytes/);
    expect(refused.body).toMatch(/64 MiB/);
    const list = await fetch(`${containerUrl}/big/model.bin?comp=blocklist&${query}`, { method: 'PUT', headers: { ...requestHeaders(), 'content-length': '0' } });
    expect((await errorCode(list)).status).toBe(400);
    expect((await allObjectKeys(broker)).filter((k) => k.startsWith(`tmp/${leaseId}/`))).toEqual([]);
  });
});

describe('refusals: 403 in Azure\u2019s XML, nothing stored', () => {
  const key = () => readFileSync(join(broker.dataDir, FRONT_KEY_FILE), 'utf8').trim();
  const mint = (container: string, permissions: SasPermission[], expiresAt: number) => containerSasQuery({ container, permissions, expiresAt, key: key() });

  /** Sent as is (fetch would resolve `..` and re-encode the path before the front saw it). */
  async function refused(url: string): Promise<{ status: number; code: string | null; body: string }> {
    const body = Buffer.from('payload');
    const { origin } = new URL(url);
    const res = await rawRequest(origin, {
      method: 'PUT',
      path: url.slice(origin.length),
      headers: { ...requestHeaders(), 'x-ms-blob-type': 'BlockBlob', 'content-length': String(body.length), 'content-md5': md5(body) },
      body,
    });
    return { status: res.status, code: (res.headers['x-ms-error-code'] as string | undefined) ?? null, body: res.text };
  }

  test.each([
    ['a tampered signature', (c: string, q: string) => `${c}/x.txt?${q.replace(/sig=([^&]{4})/, 'sig=AAAA')}`, 'AuthenticationFailed'],
    ['an expired SAS', (c: string, _q: string, id: string) => `${c}/x.txt?${mint(id, ['r', 'c', 'w'], Date.now() - 1000)}`, 'AuthenticationFailed'],
    ['a read-only SAS for a write', (c: string, _q: string, id: string) => `${c}/x.txt?${mint(id, ['r'], Date.now() + 60_000)}`, 'AuthorizationPermissionMismatch'],
    ['a dot-dot segment', (c: string, q: string) => `${c}/a/%2E%2E/x.txt?${q}`, 'AuthenticationFailed'],
    ['an encoded slash', (c: string, q: string) => `${c}/a%2F..%2Fx.txt?${q}`, 'AuthenticationFailed'],
  ])('%s', async (_why, urlOf, code) => {
    const { sasUri, leaseId } = await start(`refuse-${code}-${_why.length}`);
    const { containerUrl, query } = pythonSas(sasUri);
    const res = await refused(urlOf(containerUrl, query, leaseId));
    expect(res.status).toBe(403);
    expect(res.code).toBe(code);
    expect(res.body).toMatch(new RegExp(`^<\\?xml version="1.0" encoding="utf-8"\\?><Error><Code>${code}</Code><Message>[^<]+</Message>`));
    expect(res.body).not.toContain(key());
    expect((await allObjectKeys(broker)).filter((k) => k.startsWith(`tmp/${leaseId}/`))).toEqual([]);
  });

  test("another lease's container with this lease's SAS", async () => {
    const a = await start('cross-a');
    const b = await start('cross-b');
    const res = await refused(`${pythonSas(a.sasUri).containerUrl}/x.txt?${pythonSas(b.sasUri).query}`);
    expect(res).toMatchObject({ status: 403, code: 'AuthenticationFailed' });
    expect((await allObjectKeys(broker)).filter((k) => k.startsWith(`tmp/${a.leaseId}/`))).toEqual([]);
  });
});
