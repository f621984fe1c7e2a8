import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { startTestBroker, type TestBroker } from '../support/local-broker.js';
import { closeRawAgent, rawRequest, type RawResponse } from '../support/raw-http.js';
import { expectAlibabaError, expectArmError, expectBrokerError } from '../support/schemas.js';
import { allLeases, allObjectKeys } from '../support/storage.js';
import { recordFuzzFigures } from '../support/reliability-report.js';
import { OPERATIONS, operationById, type OperationId } from '../../shared/contracts/registry.js';
import { pathOf } from '../support/operation-requests.js';

/**
 * Property: whatever arrives, every endpoint answers below 500, in its contract's own error format with
 * a request id, and a rejected request creates nothing. Runs per endpoint: FUZZ_RUNS (default 10,000)
 * for the lease and status endpoints, a quarter of that for the consumption ones.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
let broker: TestBroker;
const created = new Set<string>();
const tally: Record<string, { runs: number; ok: number; status: Record<number, number> }> = {};

beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  closeRawAgent();
  await broker.dispose();
});

// ---------- generators ----------
const nasty = fc.constantFrom(
  '', '.', '..', '%2F', '%2f', '%00', '%2e%2e', '%252F', '%', '%zz', '%E0%A4%A', '\u202e', '\u200f', '\u0000', 'ü', '😀', '..%2F..%2Fetc',
  'a'.repeat(10_000), 'default', 'ws_ok', 'my-aml-workspace', 'abc', 'x'.repeat(33), ' ', '+', '#', '?', 'CON', 'nul.txt',
);
const segment = fc.oneof(
  { weight: 3, arbitrary: nasty },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);
/** UTF-8 percent-encoding that, like a client's HTTP stack, turns a lone surrogate into U+FFFD. */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
/** Raw path text: percent-escapes kept as sent, everything else encoded so Node will send it. */
const asPath = (s: string) => (/%/.test(s) ? s.replace(/[^\x21-\x7e]|[?#]/gu, pct) : s.replace(/[^A-Za-z0-9_.~-]/gu, pct));

const json = fc.jsonValue({ maxDepth: 4 });
/** Any generated value as a form/query value (String() throws on objects with a `toString` key). */
const asParam = (x: unknown): string => (typeof x === 'string' ? x : (JSON.stringify(x) ?? 'undefined'));
const asForm = (v: Record<string, unknown>) => new URLSearchParams(Object.entries(v).map(([k, x]): [string, string] => [k, asParam(x)])).toString();
const hugeString = fc.constant('x'.repeat(1 << 20));
const azureBody = fc.oneof(
  fc.constant(undefined),
  fc.string(),
  json.map((v) => JSON.stringify(v)),
  fc.record({ pendingUploadId: fc.oneof(fc.string(), fc.integer(), fc.constant(null), json), pendingUploadType: fc.oneof(fc.constantFrom('None', 'TemporaryBlobReference', 'Foo', ''), json) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.constant('{"pendingUploadId":"a","pendingUploadId":"b"}'),
  fc.constant('{"__proto__":{"polluted":true},"pendingUploadId":"p"}'),
  { weight: 1, arbitrary: hugeString.map((s) => JSON.stringify({ pendingUploadId: s })) },
);
const param = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), json, fc.constantFrom('a.pdf', 'report.docx', '19657c391f6c70bcea63c154d8606bb3', '1000', '100000001', '0', '-1'));
const alibabaParams = fc.record({ FileName: param, Md5: param, SizeInBytes: param }, { requiredKeys: [] });
/** Names a client might really send: any script, separators, reserved names, only an extension. */
const fileStem = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom('', ' ', 'my report', 'a+b', '100%', '#1', 'why?', '../../etc/passwd', '..\\..\\win', '/abs/path', 'CON', 'nul', 'COM1', 'LPT9', '\u202eevil', 'ü', '😀'),
);
const fileName = fc
  .tuple(fileStem, fc.constantFrom('pdf', 'PDF', 'doc', 'docx', 'Md', 'txt', 'ppt', 'pptx'))
  .map(([stem, ext]) => `${stem}.${ext}`)
  .filter((n) => [...n].length >= 4 && [...n].length <= 128 && !/[\u0000-\u001f\u007f]/.test(n));
const validAlibaba = fc.record({
  FileName: fileName,
  Md5: fc.stringMatching(/^[0-9a-fA-F]{32}$/),
  SizeInBytes: fc.oneof(fc.integer({ min: 1, max: 100_000_000 }), fc.integer({ min: 1, max: 100_000_000 }).map(String)),
});
const alibabaBody = fc.oneof(
  { weight: 3, arbitrary: validAlibaba.map(asForm) },
  fc.constant(undefined),
  fc.string(),
  validAlibaba.map((v) => JSON.stringify(v)),
  alibabaParams.map((v) => JSON.stringify(v)),
  alibabaParams.map(asForm),
  fc.constant('FileName=a.pdf&FileName=b.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=10'),
  fc.constant('{"FileName":"a.pdf","FileName":"b.exe","Md5":"19657c391f6c70bcea63c154d8606bb3","SizeInBytes":1}'),
  { weight: 1, arbitrary: hugeString.map((s) => `FileName=${s}.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=1`) },
);
const contentType = fc.constantFrom(undefined, 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-8', 'application/merge-patch+json', '', 'application/octet-stream');
const headerValue = fc.oneof({ weight: 20, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,100}$/) }, { weight: 1, arbitrary: fc.constant('h'.repeat(6_000)) });
const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), headerValue, { maxKeys: 3 });
const apiVersionQuery = fc.oneof(
  fc.constantFrom('', 'api-version=2025-09-01', 'api-version=2025-09-01&api-version=2020-01-01', 'api-version=2025-09-01&api-version=2025-09-01', 'api-version=', 'api-version=abc', 'API-VERSION=2025-09-01', 'api-version=2025-09-01&x=%zz'),
  fc.string().map((s) => `api-version=${encodeURIComponent(s)}`),
);
const alibabaQuery = fc.oneof(fc.constant(''), alibabaParams.map(asForm), fc.constant('FileName=a.pdf&FileName=b.pdf'));

// ---------- checks ----------
function header(res: RawResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function count(endpoint: string, res: RawResponse) {
  const t = (tally[endpoint] ??= { runs: 0, ok: 0, status: {} });
  t.runs++;
  t.status[res.status] = (t.status[res.status] ?? 0) + 1;
  if (res.status === 200) {
    t.ok++;
    const id = header(res, 'x-lease-id');
    if (id && endpoint !== 'GET /leases/{leaseId}') created.add(id);
  }
}

/** Requests the gateway itself turns away (no route, too large) never reach a contract. */
const gatewayAnswer = (res: RawResponse) => [404, 413, 431].includes(res.status) && /^\{"message":/.test(res.text);

function expectContractAnswer(res: RawResponse, check: (body: unknown) => void, requestIdHeader: string) {
  expect(res.status).toBeLessThan(500);
  if (gatewayAnswer(res)) return;
  const body = JSON.parse(res.text);
  if (res.status >= 400) check(body);
  expect(header(res, requestIdHeader)).toBeTruthy();
  // Security headers on every answer, and no CORS grant the stack did not configure.
  expect(header(res, 'x-content-type-options')).toBe('nosniff');
  expect(header(res, 'strict-transport-security')).toMatch(/max-age=\d+/);
  expect(header(res, 'access-control-allow-origin')).toBeUndefined();
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
}

/** Every operation a property sends to; the registry's routes, so a new operation is fuzzed or the last test fails. */
const fuzzed = new Set<OperationId>();
function route(id: OperationId, values: Readonly<Record<string, string>>, query = '') {
  fuzzed.add(id);
  const op = operationById(id);
  return { method: op.method, path: pathOf(op, values) + (query ? `?${query}` : '') };
}
/** Azure's path values: the same parent name for the workspace and the registry routes. */
const azurePath = (segs: readonly string[]) => {
  const [subscriptionId, resourceGroupName, parent, name, version] = segs.map(asPath) as [string, string, string, string, string];
  return { subscriptionId, resourceGroupName, workspaceName: parent, registryName: parent, name, version };
};

const params = { numRuns: RUNS, endOnFailure: true };
/** The consumption endpoints answer from one lookup and hold no upload: a quarter of the runs, to keep npm test short. */
const consumptionParams = { numRuns: Math.max(100, Math.floor(RUNS / 4)), endOnFailure: true };

describe(`${RUNS} generated requests per endpoint`, () => {
  test('Azure startPendingUpload (workspace and registry routes)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 5, maxLength: 5 }), fc.boolean(), apiVersionQuery, azureBody, contentType, extraHeaders, async (segs, registry, query, body, type, headers) => {
        const to = route(registry ? 'AzureRegistryCodeVersionStartPendingUpload' : 'AzureWorkspaceCodeVersionStartPendingUpload', azurePath(segs), query);
        const res = await rawRequest(broker.url, { ...to, headers: { ...headers, ...(type !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body } : {}) });
        count('azure', res);
        expectContractAnswer(res, expectArmError, 'x-ms-request-id');
      }),
      params,
    );
  }, 600_000);

  test('Alibaba ApplyFileUploadLease', async () => {
    const id = fc.oneof(segment, fc.constantFrom('ws_fuzz', 'default', 'cate_cdd11b1b79a74e8bbd675c356a91ee3510024405'));
    await fc.assert(
      fc.asyncProperty(id, id, alibabaQuery, alibabaBody, contentType, extraHeaders, async (ws, cat, query, body, type, headers) => {
        const to = route('ApplyFileUploadLease', { WorkspaceId: asPath(ws), CategoryId: asPath(cat) }, query);
        const res = await rawRequest(broker.url, { ...to, headers: { ...headers, ...(type !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body } : {}) });
        count('alibaba', res);
        expectContractAnswer(res, expectAlibabaError, 'x-acs-request-id');
        if (!gatewayAnswer(res) && res.status >= 400) {
          const parsed = JSON.parse(res.text);
          expect(parsed.Status).toBe(String(res.status));
          expect(header(res, 'x-acs-request-id')).toBe(parsed.RequestId);
        }
      }),
      params,
    );
  }, 600_000);

  test('file names never escape the lease prefix and their events decode back to the same lease', async () => {
    const { encodeS3EventKey } = await import('../../local/s3-event-records.js');
    const { decodeS3Key } = await import('../../shared/events/s3-upload-handler.js');
    const { leaseIdFromKey } = await import('../../shared/lease/keys.js');
    await fc.assert(
      fc.asyncProperty(fileName, async (name) => {
        const body = new URLSearchParams({ FileName: name, Md5: '19657c391f6c70bcea63c154d8606bb3', SizeInBytes: '10' }).toString();
        const res = await rawRequest(broker.url, { method: 'POST', path: '/ws_names/datacenter/category/default', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
        count('alibaba file names', res);
        expect(res.status).toBe(200);
        const data = JSON.parse(res.text).Data;
        const key = decodeURIComponent(new URL(data.Param.Url).pathname.split('/').slice(2).join('/'));
        const leaseId = data.FileUploadLeaseId as string;
        expect(key.startsWith(`tmp/${leaseId}/`)).toBe(true);
        expect(key.split('/')).toHaveLength(3);
        expect(key.split('/')[2]).not.toMatch(/^\.|\.\.|[\\:*?"<>|#%+ ]/);
        expect(leaseIdFromKey(decodeS3Key(encodeS3EventKey(key)))).toBe(leaseId);
        expect((await broker.deps.store.get(leaseId))?.fileName).toBe(name);
      }),
      { numRuns: Math.max(100, Math.floor(RUNS / 10)), endOnFailure: true },
    );
  }, 600_000);

  test('GET /leases/{leaseId}', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(segment, fc.stringMatching(/^[0-9a-f]{32}(\.[0-9]{13})?$/)), extraHeaders, async (id, headers) => {
        const res = await rawRequest(broker.url, { ...route('GetLease', { leaseId: asPath(id) }), headers });
        count('GET /leases/{leaseId}', res);
        expectContractAnswer(res, expectBrokerError, 'x-request-id');
        expect([200, 400, 404, 413, 431]).toContain(res.status);
      }),
      params,
    );
  }, 600_000);

  test('Alibaba AddFile', async () => {
    const addFileParam = fc.oneof(param, fc.constantFrom(`${'a'.repeat(32)}.1790000000000`, 'DASHSCOPE_DOCMIND', 'default', '["t"]', '[1]', '{}', 'UNSTRUCTURED'));
    const addFileParams = fc.record({ LeaseId: addFileParam, Parser: addFileParam, CategoryId: addFileParam, CategoryType: addFileParam, Tags: addFileParam, ParserConfig: addFileParam }, { requiredKeys: [] });
    const body = fc.oneof(fc.constant(undefined), fc.string(), addFileParams.map(asForm), addFileParams.map((v) => JSON.stringify(v)));
    await fc.assert(
      fc.asyncProperty(segment, body, contentType, extraHeaders, async (ws, b, type, headers) => {
        const res = await rawRequest(broker.url, { ...route('AddFile', { WorkspaceId: asPath(ws) }), headers: { ...headers, ...(type !== undefined ? { 'content-type': type } : {}) }, ...(b !== undefined ? { body: b } : {}) });
        count('alibaba AddFile', res);
        expectContractAnswer(res, expectAlibabaError, 'x-acs-request-id');
        // No lease of the fuzz broker is ever uploaded: nothing can be added.
        expect(res.status).not.toBe(200);
      }),
      consumptionParams,
    );
  }, 600_000);

  test('Alibaba DescribeFile and DeleteFile', async () => {
    const fileId = fc.oneof(segment, fc.stringMatching(/^file_[0-9a-f]{32}_[0-9]{13}$/), fc.constantFrom('file_x', 'file_/', ''));
    await fc.assert(
      fc.asyncProperty(segment, fileId, fc.boolean(), fc.constantFrom<OperationId>('DescribeFile', 'DeleteFile'), extraHeaders, async (ws, id, slash, op, headers) => {
        const { method, path } = route(op, { WorkspaceId: asPath(ws), FileId: asPath(id) });
        const res = await rawRequest(broker.url, { method, path: `${path}${slash ? '/' : ''}`, headers });
        count(`alibaba ${method} file`, res);
        expectContractAnswer(res, expectAlibabaError, 'x-acs-request-id');
        expect(res.status).not.toBe(200);
      }),
      consumptionParams,
    );
  }, 600_000);

  test('Azure code versions: create-or-update and get', async () => {
    const codeVersionBody = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      json.map((v) => JSON.stringify(v)),
      fc.record({ properties: fc.oneof(json, fc.record({ codeUri: fc.oneof(fc.webUrl(), fc.string(), json), description: fc.oneof(fc.string(), json), tags: json, isArchived: json }, { requiredKeys: [] })) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.constant(`{"properties":{"codeUri":"${broker.s3Endpoint}/${broker.config.bucketName}/tmp/${'b'.repeat(32)}/c-1"}}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 5, maxLength: 5 }), fc.boolean(), fc.boolean(), apiVersionQuery, codeVersionBody, contentType, async (segs, registry, put, query, body, type) => {
        const parent = registry ? 'Registry' : 'Workspace';
        const { method, path } = route(`Azure${parent}CodeVersion${put ? 'CreateOrUpdate' : 'Get'}`, azurePath(segs), query);
        const res = await rawRequest(broker.url, { method, path, headers: type !== undefined ? { 'content-type': type } : {}, ...(body !== undefined && method === 'PUT' ? { body } : {}) });
        count(`azure ${method} code version`, res);
        expectContractAnswer(res, expectArmError, 'x-ms-request-id');
        expect(res.status).not.toBe(200);
      }),
      consumptionParams,
    );
  }, 600_000);

  test('POST /leases/{leaseId}/consume', async () => {
    const body = fc.oneof(fc.constant(undefined), fc.string(), json.map((v) => JSON.stringify(v)), fc.record({ consumer: fc.oneof(fc.string(), json) }).map((v) => JSON.stringify(v)));
    await fc.assert(
      fc.asyncProperty(fc.oneof(segment, fc.stringMatching(/^[0-9a-f]{32}(\.[0-9]{13})?$/)), body, contentType, async (id, b, type) => {
        const res = await rawRequest(broker.url, { ...route('ConsumeLease', { leaseId: asPath(id) }), headers: type !== undefined ? { 'content-type': type } : {}, ...(b !== undefined ? { body: b } : {}) });
        count('POST /leases/{leaseId}/consume', res);
        expectContractAnswer(res, expectBrokerError, 'x-request-id');
        expect([400, 404, 409, 413, 415, 431]).toContain(res.status);
      }),
      consumptionParams,
    );
  }, 600_000);

  test('every operation of the registry was fuzzed', () => {
    expect([...fuzzed].sort()).toEqual(OPERATIONS.map((op) => op.id).sort());
  });

  test('nothing was created but the leases that were answered 200, and no object at all', async () => {
    const leases = (await allLeases(broker)).filter((l) => /^[0-9a-f]{32}/.test(l.leaseId));
    expect(new Set(leases.map((l) => l.leaseId))).toEqual(created);
    expect(await allObjectKeys(broker)).toEqual([]);
    recordFuzzFigures(RUNS, tally, leases.length);
  });
});
