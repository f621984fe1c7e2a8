import { describe, expect, test } from '@jest/globals';
import { loadFrontFunctions, type FrontEvent, type FrontHeaders } from '../../../local/blob-front/sandbox.js';
import { SAS_VERSION } from '../../../shared/contracts/azure/container-sas.js';

/**
 * The Blob front's viewer-response function (infra/blob-front/viewer-response.js) in the local sandbox:
 * S3's answers as Azure clients expect them.
 */
const functions = loadFrontFunctions({ kvs: {} });
const A = '0123456789abcdef0123456789abcdef';

function event(method: string, statusCode: number, headers: FrontHeaders = { etag: { value: '"5d41402abc4b2a76b9719d911017c592"' } }): FrontEvent {
  return {
    version: '1.0',
    context: { eventType: 'viewer-response', requestId: 'cf-req-7' },
    viewer: { ip: '192.0.2.1' },
    request: { method, uri: `/tmp/${A}/code/file.txt`, querystring: {}, headers: {}, cookies: {} },
    response: { statusCode, statusDescription: 'OK', headers, cookies: {} },
  };
}

describe('viewer response', () => {
  test("Put Blob: S3's 200 becomes Azure's 201 Created, server-encrypted, S3's ETag kept", async () => {
    const response = await functions.viewerResponse(event('PUT', 200));
    expect(response.statusCode).toBe(201);
    expect(response.statusDescription).toBe('Created');
    expect(response.headers['x-ms-request-server-encrypted']?.value).toBe('true');
    expect(response.headers.etag?.value).toBe('"5d41402abc4b2a76b9719d911017c592"');
  });

  test('every response gets x-ms-request-id (CloudFront request id) and x-ms-version', async () => {
    for (const [method, status] of [['PUT', 200], ['HEAD', 200], ['GET', 200], ['HEAD', 404]] as const) {
      const response = await functions.viewerResponse(event(method, status));
      expect(response.headers['x-ms-request-id']?.value).toBe('cf-req-7');
      expect(response.headers['x-ms-version']?.value).toBe(SAS_VERSION);
    }
  });

  test('a request id is made up when the event has none', async () => {
    const e = event('HEAD', 200);
    delete e.context.requestId;
    const response = await functions.viewerResponse(e);
    expect(response.headers['x-ms-request-id']?.value).toMatch(/^[0-9a-z]{8,}$/);
  });

  test('HEAD and GET keep their status: 200 stays 200, a missing blob stays 404, a failed condition 412', async () => {
    expect((await functions.viewerResponse(event('HEAD', 200))).statusCode).toBe(200);
    expect((await functions.viewerResponse(event('GET', 200))).statusCode).toBe(200);
    expect((await functions.viewerResponse(event('HEAD', 404))).statusCode).toBe(404);
    expect((await functions.viewerResponse(event('PUT', 412))).statusCode).toBe(412);
    expect((await functions.viewerResponse(event('HEAD', 200))).headers['x-ms-request-server-encrypted']).toBeUndefined();
  });

  test('Get Blob and Get Blob Properties say block blob, server-encrypted; a failure does not', async () => {
    for (const method of ['HEAD', 'GET']) {
      const headers = (await functions.viewerResponse(event(method, 200))).headers;
      expect(headers['x-ms-blob-type']?.value).toBe('BlockBlob');
      expect(headers['x-ms-server-encrypted']?.value).toBe('true');
    }
    expect((await functions.viewerResponse(event('HEAD', 404))).headers['x-ms-blob-type']).toBeUndefined();
    expect((await functions.viewerResponse(event('PUT', 200))).headers['x-ms-blob-type']).toBeUndefined();
  });

  test('a response the viewer-request function wrote (Set Blob Metadata) is left as it is', async () => {
    const written = { 'x-ms-request-id': { value: 'front-id' }, etag: { value: '"0x1"' } };
    const response = await functions.viewerResponse(event('PUT', 200, written));
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-ms-request-id']?.value).toBe('front-id');
    expect(response.headers['x-ms-version']).toBeUndefined();
  });
});

describe('viewer response: only successful reads are described as blobs', () => {
  test.each([
    [299, true],
    [300, false],
    [304, false],
  ])('GET answered %i: blob headers %s', async (status, described) => {
    const response = await functions.viewerResponse(event('GET', status));
    expect(response.headers['x-ms-blob-type']?.value).toBe(described ? 'BlockBlob' : undefined);
  });
});
