import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { getLease, postForm, postJson, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { expectAlibabaResponse, expectLeaseView } from '../support/schemas.js';
import { allLeases, readObject } from '../support/storage.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(() => broker.dispose());

const PATH = '/ws_3AXoiweeTyTd03IN/datacenter/category/default';
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const doc = (text: string) => Buffer.from(text);
const keyOf = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').slice(2).join('/'));

describe('Alibaba ApplyFileUploadLease', () => {
  test('form request -> lease -> PUT with the returned method, URL and headers -> object in storage', async () => {
    const bytes = doc('# Quarterly report\n\nAll good.\n');
    const res = await postForm(broker.url, PATH, { FileName: 'Quarterly Report.md', Md5: md5(bytes), SizeInBytes: String(bytes.length) });
    expect(res.status).toBe(200);
    expectAlibabaResponse(res.json);
    const { Data } = res.json;
    expect(res.json).toMatchObject({ Code: 'Success', Status: '200', Success: true, Data: { Type: 'HTTP', Param: { Method: 'PUT' } } });
    expect(Data.FileUploadLeaseId).toMatch(/^[0-9a-f]{32}\.[0-9]{13}$/);
    expect(Math.abs(Number(Data.FileUploadLeaseId.split('.')[1]) - Date.now())).toBeLessThan(60_000);
    expect(res.headers.get('x-lease-id')).toBe(Data.FileUploadLeaseId);
    expect(res.headers.get('x-acs-request-id')).toBe(res.json.RequestId);
    expect(Data.Param.Headers).toEqual({
      'Content-Type': 'text/markdown',
      'Content-MD5': createHash('md5').update(bytes).digest('base64'),
    });
    const url = new URL(Data.Param.Url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-md5;content-type;host');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect([...url.searchParams.keys()].some((k) => k.toLowerCase().includes('checksum'))).toBe(false);
    const key = keyOf(Data.Param.Url);
    expect(key).toBe(`tmp/${Data.FileUploadLeaseId}/Quarterly_Report.md`);

    const put = await fetch(Data.Param.Url, { method: Data.Param.Method, headers: Data.Param.Headers, body: bytes });
    expect(put.status).toBe(200);
    const stored = await readObject(broker, key);
    expect(stored.body.equals(bytes)).toBe(true);
    expect(stored.contentType).toBe('text/markdown');

    await broker.eventsSettled();
    const lease = await getLease(broker.url, Data.FileUploadLeaseId);
    expectLeaseView(lease.json);
    expect(lease.json).toMatchObject({ status: 'UPLOADED', size: bytes.length, declaredSize: bytes.length, fileName: 'Quarterly Report.md' });
  });

  test('accepts the parameters as a JSON body (SizeInBytes as number) and as a query string', async () => {
    const bytes = doc('plain text');
    const viaJson = await postJson(broker.url, PATH, { FileName: 'notes.TXT', Md5: md5(bytes).toUpperCase(), SizeInBytes: bytes.length });
    expect(viaJson.status).toBe(200);
    expect(viaJson.json.Data.Param.Headers['Content-Type']).toBe('text/plain');
    const query = new URLSearchParams({ FileName: 'slides.pptx', Md5: md5(bytes), SizeInBytes: String(bytes.length) });
    const viaQuery = await fetch(`${broker.url}${PATH}?${query}`, { method: 'POST' });
    expect(viaQuery.status).toBe(200);
    const body = (await viaQuery.json()) as any;
    expectAlibabaResponse(body);
    expect(body.Data.Param.Headers['Content-Type']).toBe('application/vnd.openxmlformats-officedocument.presentationml.presentation');
  });

  test('is not idempotent: identical calls make distinct leases', async () => {
    const form = { FileName: 'same.pdf', Md5: md5(doc('x')), SizeInBytes: '1' };
    const a = await postForm(broker.url, PATH, form);
    const b = await postForm(broker.url, PATH, form);
    expect(a.json.Data.FileUploadLeaseId).not.toBe(b.json.Data.FileUploadLeaseId);
    expect(keyOf(a.json.Data.Param.Url)).not.toBe(keyOf(b.json.Data.Param.Url));
  });

  test('50 concurrent requests make 50 leases', async () => {
    const form = { FileName: 'burst.docx', Md5: md5(doc('burst')), SizeInBytes: '5' };
    const results = await Promise.all(Array.from({ length: 50 }, () => postForm(broker.url, '/ws_burst/datacenter/category/cat_1', form)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const ids = new Set(results.map((r) => r.json.Data.FileUploadLeaseId));
    expect(ids.size).toBe(50);
    const stored = (await allLeases(broker)).filter((l) => l.scope === 'ws_burst/cat_1');
    expect(stored).toHaveLength(50);
    expect(new Set(stored.map((l) => l.leaseId))).toEqual(ids);
  });
});

describe('Alibaba AddFile: JSON in form fields', () => {
  test('Tags or ParserConfig nested deeper than any request needs (their size is bounded by the schema): 400 naming the parameter, before parsing, the lease untouched', async () => {
    const bytes = doc('tagged');
    const leased = await postForm(broker.url, PATH, { FileName: 'tagged.txt', Md5: md5(bytes), SizeInBytes: String(bytes.length) });
    const { FileUploadLeaseId: leaseId, Param } = leased.json.Data;
    expect((await fetch(Param.Url, { method: 'PUT', headers: Param.Headers, body: bytes })).status).toBe(200);
    for (const [name, value] of [
      ['Tags', `${'['.repeat(33)}${']'.repeat(33)}`],
      ['ParserConfig', `{"a":${'['.repeat(40)}${']'.repeat(40)}}`],
    ]) {
      const sent = await fetch(`${broker.url}/ws_3AXoiweeTyTd03IN/datacenter/file`, {
        method: 'PUT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ LeaseId: leaseId, Parser: 'DASHSCOPE_DOCMIND', CategoryId: 'default', [name!]: value! }).toString(),
      });
      const res = { status: sent.status, json: (await sent.json()) as { Code: string; Message: string } };
      expect([res.status, res.json.Code]).toEqual([400, 'InvalidParameter']);
      expect(res.json.Message).toContain(`The parameter ${name} is too large or too deeply nested.`);
    }
    expect((await getLease(broker.url, leaseId)).json.status).not.toBe('CONSUMED');
  });
});
