import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import * as Bailian from '@alicloud/bailian20231229';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { eventually, getLease, startTestBroker, type TestBroker } from '../support/local-broker.js';

/**
 * Alibaba's official SDK, unchanged, against the local mode: the lease it is handed works with the
 * embedded S3 verifying every signature, and the same URL tampered with does not.
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(() => broker.dispose());

// A CommonJS package seen from ESM: the client class is module.exports.default.
const Client = Bailian.default.default;

test('@alicloud/bailian20231229: ApplyFileUploadLease, then PUT with exactly the returned method, URL and headers', async () => {
  const client = new Client(
    new $OpenApiUtil.Config({ accessKeyId: 'local', accessKeySecret: 'local', endpoint: new URL(broker.url).host, protocol: 'HTTP' }),
  );
  const body = 'uploaded by the official SDK';
  const request = new Bailian.ApplyFileUploadLeaseRequest({
    fileName: 'sdk.txt',
    md5: createHash('md5').update(body).digest('hex'),
    sizeInBytes: String(Buffer.byteLength(body)),
    categoryType: 'UNSTRUCTURED',
  });
  const response = await client.applyFileUploadLease('default', 'ws_sdk', request);
  expect(response.statusCode).toBe(200);
  expect(response.body?.code).toBe('Success');
  const data = response.body!.data!;
  const param = data.param!;
  const headers = param.headers as Record<string, string>;

  expect(param.url).toContain('/sdk.txt?');
  const tampered = await fetch(param.url!.replace('/sdk.txt?', '/other.txt?'), { method: param.method!, headers, body });
  expect(tampered.status).toBe(403);
  expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');

  const put = await fetch(param.url!, { method: param.method!, headers, body });
  expect(put.status).toBe(200);
  const lease = await eventually(async () => {
    const l = await getLease(broker.url, data.fileUploadLeaseId!);
    return l.json.status === 'PENDING' ? undefined : l.json;
  });
  expect(lease).toMatchObject({ status: 'UPLOADED', size: Buffer.byteLength(body) });
});
