import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ContainerClient, RestError } from '@azure/storage-blob';
import { API_VERSION, AZURE_PATH, eventually, getLease, postJson, readResponse, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { expectCodeVersion } from '../support/schemas.js';
import { allObjectKeys, readObject } from '../support/storage.js';

/**
 * The official JavaScript client, unchanged, against the Blob front (AZURE_UPLOADS=blob-front): the
 * sasUri of startPendingUpload is a container URL, as azure-ai-ml and @azure/storage-blob read it.
 * Then the code version is created with the codeUri azure-ai-ml computes, and its files are permanent.
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ env: { AZURE_UPLOADS: 'blob-front' } });
});
afterAll(() => broker.dispose());

const versionPath = (o: Parameters<typeof AZURE_PATH>[0]) => AZURE_PATH(o).replace(/\/startPendingUpload$/, '');

/** Python's urljoin(base, ref) for a relative ref without dots: the base's last segment is replaced. */
const urljoin = (base: string, ref: string) => new URL(ref, base).toString();

async function start(o: Parameters<typeof AZURE_PATH>[0], pendingUploadId: string) {
  const started = await postJson(broker.url, `${AZURE_PATH(o)}?api-version=${API_VERSION}`, { pendingUploadId });
  expect(started.status).toBe(200);
  const ref = started.json.blobReferenceForConsumption;
  return { sasUri: ref.credential.sasUri as string, blobUri: ref.blobUri as string, leaseId: started.headers.get('x-lease-id')! };
}

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof RestError) return error.statusCode;
    throw error;
  }
}

describe('@azure/storage-blob through the Blob front', () => {
  test('ContainerClient(sasUri): 3 blobs (one of 20 MB) uploaded, read back, metadata set; the code version takes them all', async () => {
    const o = { ws: 'ws-blob-front', name: 'train', version: '1' };
    const { sasUri, blobUri, leaseId } = await start(o, 'js-client-1');
    // What the clients rely on: the container is the last path segment (after the local account segment:
    // an IP host is addressed path-style), and the SAS names only Azure's parameters.
    const container = new ContainerClient(sasUri);
    expect(container.accountName).toBe('local');
    expect(container.containerName).toBe(leaseId);
    expect([...new URL(sasUri).searchParams.keys()].sort()).toEqual(['se', 'sig', 'sp', 'sr', 'sv']);

    const files = new Map<string, Buffer>([
      ['src/train.py', Buffer.from('print("train")\n')],
      ['src/data/weights.bin', randomBytes(20 * 1024 * 1024)],
      ['src/README.md', Buffer.from('# code\n')],
    ]);
    for (const [name, bytes] of files) {
      const blob = container.getBlockBlobClient(name);
      expect(await statusOf(blob.getProperties())).toBe(404);
      const uploaded = await blob.uploadData(bytes);
      expect(uploaded._response.status).toBe(201);
      const props = await blob.getProperties();
      expect(props._response.status).toBe(200);
      expect(props.contentLength).toBe(bytes.length);
    }
    const first = container.getBlockBlobClient('src/train.py');
    const meta = await first.setMetadata({ upload_status: 'completed', name: 'train', version: '1' });
    expect(meta._response.status).toBe(200);
    // Answered by the front: the blob is unchanged by it.
    expect((await readObject(broker, `tmp/${leaseId}/src/train.py`)).body).toEqual(files.get('src/train.py'));
    for (const [name, bytes] of files) {
      const stored = (await readObject(broker, `tmp/${leaseId}/${name}`)).body;
      expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    }

    // The lease shows its blobs and their total before anything consumes it.
    const before = (await getLease(broker.url, leaseId)).json;
    expect(before.blobs.map((b: { name: string }) => b.name).sort()).toEqual([...files.keys()].sort());
    expect(before.size).toBe([...files.values()].reduce((n, b) => n + b.length, 0));

    // azure-ai-ml: codeUri = urljoin(blobUri, "<container>/<local dir name>").
    const codeUri = urljoin(blobUri, `${leaseId}/src`);
    expect(codeUri).toBe(`${blobUri}/src`);
    const created = await readResponse(
      await fetch(`${broker.url}${versionPath(o)}?api-version=${API_VERSION}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ properties: { codeUri, isAnonymous: false } }),
      }),
    );
    expect(created.status).toBe(201);
    expectCodeVersion(created.json);
    expect(created.json.properties.codeUri).toMatch(new RegExp(`/files/${leaseId}/$`));

    await broker.eventsSettled();
    const lease = (await getLease(broker.url, leaseId)).json;
    expect(lease).toMatchObject({ status: 'CONSUMED', consumedBy: { kind: 'azure-code-version' }, location: { key: `files/${leaseId}/` } });
    expect(lease.size).toBe(before.size);
    const keys = await allObjectKeys(broker);
    for (const name of files.keys()) expect(keys).toContain(`files/${leaseId}/${name}`);
    // One event per transition, the container's as GET shows it: uploaded, then consumed with its total.
    const events = readFileSync(broker.eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.detail.leaseId === leaseId);
    expect(events.map((e) => e['detail-type'])).toEqual(['Lease Uploaded', 'Lease Consumed']);
    expect(events[1].detail).toMatchObject({ status: 'CONSUMED', size: before.size, location: { key: `files/${leaseId}/` } });
    // Downloadable from their permanent place, byte for byte.
    for (const blob of lease.blobs as { name: string; downloadUrl: string }[]) {
      const body = Buffer.from(await (await fetch(blob.downloadUrl)).arrayBuffer());
      expect(body.equals(files.get(blob.name)!)).toBe(true);
    }
  }, 120_000);

  test('a consumer right after the PUTs (before any S3 event is handled) still finds the upload', async () => {
    const o = { ws: 'ws-blob-front', name: 'fast', version: '1' };
    const slow = await startTestBroker({ env: { AZURE_UPLOADS: 'blob-front', S3_EVENT_DELAY_MS: '60000' } });
    try {
      const started = await postJson(slow.url, `${AZURE_PATH(o)}?api-version=${API_VERSION}`, { pendingUploadId: 'fast-1' });
      const ref = started.json.blobReferenceForConsumption;
      const leaseId = started.headers.get('x-lease-id')!;
      await new ContainerClient(ref.credential.sasUri).getBlockBlobClient('dir/a.py').uploadData(Buffer.from('a = 1\n'));
      const created = await readResponse(
        await fetch(`${slow.url}${versionPath(o)}?api-version=${API_VERSION}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ properties: { codeUri: `${ref.blobUri}/dir` } }),
        }),
      );
      expect(created.status).toBe(201);
      expect((await getLease(slow.url, leaseId)).json).toMatchObject({ status: 'CONSUMED', size: 6 });
    } finally {
      await slow.dispose();
    }
  }, 60_000);

  test('the container stays a lease: another lease\u2019s SAS cannot read or write it', async () => {
    const a = await start({ ws: 'ws-blob-front', name: 'a', version: '1' }, 'iso-a');
    const b = await start({ ws: 'ws-blob-front', name: 'b', version: '1' }, 'iso-b');
    await new ContainerClient(a.sasUri).getBlockBlobClient('x.txt').uploadData(Buffer.from('mine'));
    // b's SAS on a's container: the path names a, the signature covers b.
    const crossed = `${a.blobUri}?${new URL(b.sasUri).search.slice(1)}`;
    const client = new ContainerClient(crossed);
    expect(await statusOf(client.getBlockBlobClient('x.txt').getProperties())).toBe(403);
    expect(await statusOf(client.getBlockBlobClient('y.txt').uploadData(Buffer.from('theirs')))).toBe(403);
    expect((await allObjectKeys(broker)).filter((k) => k.startsWith(`tmp/${a.leaseId}/`))).toEqual([`tmp/${a.leaseId}/x.txt`]);
    await eventually(async () => ((await getLease(broker.url, a.leaseId)).json.status === 'UPLOADED' ? true : undefined));
  });
});
