import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as Bailian from '@alicloud/bailian20231229';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { eventually, getLease, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { objectExists } from '../support/storage.js';

/**
 * Alibaba's official SDK, unchanged, against the local mode, with the embedded S3 verifying every
 * signature: ApplyFileUploadLease, PUT, AddFile, DescribeFile until ready, DeleteFile, and the refusals.
 */
let broker: TestBroker;
let client: InstanceType<typeof Client>;
beforeAll(async () => {
  broker = await startTestBroker();
  client = new Client(new $OpenApiUtil.Config({ accessKeyId: 'local', accessKeySecret: 'local', endpoint: new URL(broker.url).host, protocol: 'HTTP' }));
});
afterAll(() => broker.dispose());

// A CommonJS package seen from ESM: the client class is module.exports.default.
const Client = Bailian.default.default;

const md5 = (body: string) => createHash('md5').update(body).digest('hex');

/**
 * ApplyFileUploadLease, then (unless told not to) the PUT with exactly the returned method, URL and
 * headers; like the SDK's users, nothing waits for the broker to see the upload.
 */
async function leaseAndUpload(workspace: string, body: string, { put = true } = {}) {
  const request = new Bailian.ApplyFileUploadLeaseRequest({ fileName: 'sdk.txt', md5: md5(body), sizeInBytes: String(Buffer.byteLength(body)), categoryType: 'UNSTRUCTURED' });
  const response = await client.applyFileUploadLease('default', workspace, request);
  expect(response.body?.code).toBe('Success');
  const data = response.body!.data!;
  const param = data.param!;
  if (put) {
    const res = await fetch(param.url!, { method: param.method!, headers: param.headers as Record<string, string>, body });
    expect(res.status).toBe(200);
  }
  return { leaseId: data.fileUploadLeaseId!, param };
}

const addFile = (workspace: string, leaseId: string) =>
  client.addFile(workspace, new Bailian.AddFileRequest({ leaseId, parser: 'DASHSCOPE_DOCMIND', categoryId: 'default', categoryType: 'UNSTRUCTURED', tags: ['t1', 't2'] }));

/** The SDK throws on a non-2xx answer: its status and Alibaba code. */
async function refusal(call: Promise<unknown>): Promise<{ statusCode: number; code: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { statusCode?: number; code?: string; data?: { statusCode?: number } };
    return { statusCode: e.statusCode ?? e.data?.statusCode ?? 0, code: e.code ?? '' };
  }
  throw new Error('expected the SDK call to fail');
}

describe('@alicloud/bailian20231229, the whole flow', () => {
  test('lease, PUT, its S3 event handled first, AddFile, DescribeFile until FILE_IS_READY, DeleteFile, then DescribeFile is a 404', async () => {
    const body = 'uploaded and consumed through the official SDK';
    const { leaseId, param } = await leaseAndUpload('ws_sdk', body);
    // Events arriving first (test/integration/event-timing.test.ts has every call at once, events held back).
    await eventually(async () => ((await getLease(broker.url, leaseId)).json.status === 'UPLOADED' ? true : undefined));
    expect(param.url).toContain('/sdk.txt?');

    const added = await addFile('ws_sdk', leaseId);
    expect(added.statusCode).toBe(200);
    const fileId = added.body!.data!.fileId!;
    expect(fileId).toBe(`file_${leaseId.replace('.', '_')}`);
    expect(added.body!.data!.parser).toBe('DASHSCOPE_DOCMIND');

    const described = await eventually(async () => {
      const d = await client.describeFile('ws_sdk', fileId, new Bailian.DescribeFileRequest({}));
      return d.body!.data!.status === 'FILE_IS_READY' ? d.body!.data! : undefined;
    });
    expect(described).toMatchObject({ fileId, fileName: 'sdk.txt', fileType: 'txt', sizeInBytes: Buffer.byteLength(body), categoryId: 'default', parser: 'DASHSCOPE_DOCMIND', tags: ['t1', 't2'] });
    expect(described.createTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    // The file moved out of the temporary prefix, and the lease says where it is.
    const lease = (await getLease(broker.url, leaseId)).json;
    expect(lease).toMatchObject({ status: 'CONSUMED', consumedBy: { kind: 'alibaba-file', id: fileId }, location: { key: `files/${leaseId}/sdk.txt` } });
    expect(await objectExists(broker, `files/${leaseId}/sdk.txt`)).toBe(true);
    expect(new URL(lease.downloadUrl).pathname).toContain(`/files/${leaseId}/sdk.txt`);
    const download = await fetch(lease.downloadUrl);
    expect([download.status, await download.text()]).toEqual([200, body]);

    const deleted = await client.deleteFile(fileId, 'ws_sdk', new Bailian.DeleteFileRequest({}));
    expect(deleted.body!.data!.fileId).toBe(fileId);
    expect(await refusal(client.describeFile('ws_sdk', fileId, new Bailian.DescribeFileRequest({})))).toEqual({ statusCode: 404, code: 'DataCenter.FileNotFound' });
    await broker.eventsSettled();
    expect(await objectExists(broker, `files/${leaseId}/sdk.txt`)).toBe(false);
    expect((await getLease(broker.url, leaseId)).json).toMatchObject({ status: 'DELETED' });
    expect(await refusal(client.deleteFile(fileId, 'ws_sdk', new Bailian.DeleteFileRequest({})))).toEqual({ statusCode: 404, code: 'DataCenter.FileNotFound' });
  });

  test('refusals in the Alibaba envelope: not uploaded, used twice, another workspace, unknown lease and file', async () => {
    const pending = await leaseAndUpload('ws_sdk', 'never uploaded', { put: false });
    expect(await refusal(addFile('ws_sdk', pending.leaseId))).toEqual({ statusCode: 409, code: 'InvalidLease.NotUploaded' });

    const { leaseId } = await leaseAndUpload('ws_sdk', 'used once');
    // Another workspace cannot see the lease at all.
    expect(await refusal(addFile('ws_other', leaseId))).toEqual({ statusCode: 404, code: 'InvalidLease.NotFound' });
    const fileId = (await addFile('ws_sdk', leaseId)).body!.data!.fileId!;
    expect(await refusal(addFile('ws_sdk', leaseId))).toEqual({ statusCode: 409, code: 'InvalidLease.AlreadyUsed' });
    expect(await refusal(client.describeFile('ws_other', fileId, new Bailian.DescribeFileRequest({})))).toEqual({ statusCode: 404, code: 'DataCenter.FileNotFound' });
    expect(await refusal(client.deleteFile(fileId, 'ws_other', new Bailian.DeleteFileRequest({})))).toEqual({ statusCode: 404, code: 'DataCenter.FileNotFound' });
    expect(await refusal(addFile('ws_sdk', `${'0'.repeat(32)}.1790000000000`))).toEqual({ statusCode: 404, code: 'InvalidLease.NotFound' });
    expect(await refusal(client.describeFile('ws_sdk', 'file_nope', new Bailian.DescribeFileRequest({})))).toEqual({ statusCode: 404, code: 'DataCenter.FileNotFound' });
  });

  test('50 AddFile calls at once on one lease: one FileId, 49 refusals', async () => {
    const { leaseId } = await leaseAndUpload('ws_sdk', 'raced for');
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        addFile('ws_sdk', leaseId).then(
          (r) => `ok:${r.body!.data!.fileId}`,
          (e: { code?: string }) => `refused:${e.code}`,
        ),
      ),
    );
    const ok = outcomes.filter((o) => o.startsWith('ok:'));
    expect(ok).toEqual([`ok:file_${leaseId.replace('.', '_')}`]);
    expect(outcomes.filter((o) => o === 'refused:InvalidLease.AlreadyUsed')).toHaveLength(49);
  });

  test('a tampered upload URL from the SDK response is refused by the embedded S3', async () => {
    const { param } = await leaseAndUpload('ws_sdk', 'tampered', { put: false });
    const res = await fetch(param.url!.replace('/sdk.txt?', '/other.txt?'), { method: param.method!, headers: param.headers as Record<string, string>, body: 'tampered' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});
