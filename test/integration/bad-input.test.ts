/**
 * Every bad input of both public contracts, through the real HTTP local mode: the status, the
 * contract's error shape and code, the request-id headers, and that a rejected request leaves no
 * lease record and no object behind.
 */
import { afterAll, beforeAll, describe, expect, it, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { AZURE_PATH, API_VERSION, readResponse, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { allLeases, allObjectKeys } from '../support/storage.js';
import { expectAlibabaError, expectAlibabaResponse, expectArmError, expectAzureResponse, expectBrokerError } from '../support/schemas.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});

afterAll(async () => {
  await broker?.dispose();
});

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Sent = Awaited<ReturnType<typeof readResponse>>;

async function send(
  method: string,
  path: string,
  o: { query?: string; body?: string; contentType?: string | null; headers?: Record<string, string> } = {},
): Promise<Sent> {
  const url = `${broker.url}${path}${o.query ? `?${o.query}` : ''}`;
  const headers: Record<string, string> = { ...o.headers };
  if (o.contentType) headers['content-type'] = o.contentType;
  const res = await fetch(url, {
    method,
    headers,
    // A Uint8Array body gets no default content type from fetch (a string would be text/plain).
    ...(o.body !== undefined ? { body: o.contentType === null ? Buffer.from(o.body) : o.body } : {}),
  });
  return readResponse(res);
}

const countLeases = async () => (await allLeases(broker)).length;
const countObjects = async () => (await allObjectKeys(broker)).length;

/** Runs `fn` and checks that no lease record and no object appeared meanwhile. */
async function expectNothingCreated<T>(fn: () => Promise<T>): Promise<T> {
  const before = { leases: await countLeases(), objects: await countObjects() };
  const result = await fn();
  await broker.eventsSettled();
  expect({ leases: await countLeases(), objects: await countObjects() }).toEqual(before);
  return result;
}

/** No stack traces or exception text in any error body. */
function expectNoInternals(text: string): void {
  expect(text).not.toContain('Error:');
  expect(text).not.toMatch(/\bat .*:\d+:\d+/);
  expect(text).not.toContain('node_modules');
  expect(text).not.toContain('stack');
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// ---------------------------------------------------------------------------------------------
// Azure ML startPendingUpload
// ---------------------------------------------------------------------------------------------

const GOOD_QUERY = `api-version=${API_VERSION}`;

interface AzureCase {
  path?: string;
  query?: string;
  body?: string;
  contentType?: string;
  status: number;
  code: string;
  /** The `target` the ARM error must name; null when it must have none. */
  target: string | null;
}

const AZURE_CASES: Record<string, AzureCase> = {
  // api-version
  'api-version absent': { query: '', status: 400, code: 'MissingApiVersionParameter', target: 'api-version' },
  'api-version empty': { query: 'api-version=', status: 400, code: 'MissingApiVersionParameter', target: 'api-version' },
  'only other query parameters': { query: 'foo=bar', status: 400, code: 'MissingApiVersionParameter', target: 'api-version' },
  'api-version 2020-01-01': { query: 'api-version=2020-01-01', status: 400, code: 'NoRegisteredProviderFound', target: 'api-version' },
  'api-version 2025-09-01-preview': {
    query: 'api-version=2025-09-01-preview',
    status: 400,
    code: 'NoRegisteredProviderFound',
    target: 'api-version',
  },
  'api-version abc': { query: 'api-version=abc', status: 400, code: 'InvalidApiVersionParameter', target: 'api-version' },
  'api-version twice with different values': {
    query: `api-version=${API_VERSION}&api-version=2020-01-01`,
    status: 400,
    code: 'InvalidParameter',
    target: 'api-version',
  },
  'api-version checked before a bad path': {
    path: AZURE_PATH({ ws: 'ab' }),
    query: '',
    status: 400,
    code: 'MissingApiVersionParameter',
    target: 'api-version',
  },
  // workspaceName / registryName: ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$
  'workspaceName 2 characters': { path: AZURE_PATH({ ws: 'ab' }), status: 400, code: 'InvalidParameter', target: 'workspaceName' },
  'workspaceName 34 characters': { path: AZURE_PATH({ ws: 'w'.repeat(34) }), status: 400, code: 'InvalidParameter', target: 'workspaceName' },
  'workspaceName leading _': { path: AZURE_PATH({ ws: '_abc' }), status: 400, code: 'InvalidParameter', target: 'workspaceName' },
  'workspaceName leading -': { path: AZURE_PATH({ ws: '-abc' }), status: 400, code: 'InvalidParameter', target: 'workspaceName' },
  'workspaceName with a dot': { path: AZURE_PATH({ ws: 'ab.cd' }), status: 400, code: 'InvalidParameter', target: 'workspaceName' },
  'workspaceName unicode': { path: AZURE_PATH({ ws: 'w%C3%A4sp' }), status: 400, code: 'InvalidParameter', target: 'workspaceName' },
  'registryName 2 characters': { path: AZURE_PATH({ registry: 'ab' }), status: 400, code: 'InvalidParameter', target: 'registryName' },
  'registryName 34 characters': {
    path: AZURE_PATH({ registry: 'r'.repeat(34) }),
    status: 400,
    code: 'InvalidParameter',
    target: 'registryName',
  },
  'registryName leading _': { path: AZURE_PATH({ registry: '_abc' }), status: 400, code: 'InvalidParameter', target: 'registryName' },
  // resourceGroupName 1..90, subscriptionId non-empty
  'resourceGroupName 91 characters': {
    path: AZURE_PATH({ rg: 'r'.repeat(91) }),
    status: 400,
    code: 'InvalidParameter',
    target: 'resourceGroupName',
  },
  'resourceGroupName with an encoded slash': {
    path: AZURE_PATH({ rg: 'a%2Fb' }),
    status: 400,
    code: 'InvalidParameter',
    target: 'resourceGroupName',
  },
  'subscriptionId with an encoded slash': {
    path: AZURE_PATH({ sub: 'a%2Fb' }),
    status: 400,
    code: 'InvalidParameter',
    target: 'subscriptionId',
  },
  'subscriptionId with a control character': {
    path: AZURE_PATH({ sub: 'a%01b' }),
    status: 400,
    code: 'InvalidParameter',
    target: 'subscriptionId',
  },
  // name / version
  'name with an encoded slash': { path: AZURE_PATH({ name: 'a%2Fb' }), status: 400, code: 'InvalidParameter', target: 'name' },
  'name with NUL': { path: AZURE_PATH({ name: 'a%00b' }), status: 400, code: 'InvalidParameter', target: 'name' },
  'name 256 characters': { path: AZURE_PATH({ name: 'n'.repeat(256) }), status: 400, code: 'InvalidParameter', target: 'name' },
  'version with a backslash': { path: AZURE_PATH({ version: 'a%5Cb' }), status: 400, code: 'InvalidParameter', target: 'version' },
  // body
  'pendingUploadType Foo': {
    body: '{"pendingUploadType":"Foo"}',
    status: 400,
    code: 'InvalidRequestContent',
    target: 'pendingUploadType',
  },
  'pendingUploadType lower-case': {
    body: '{"pendingUploadType":"temporaryblobreference"}',
    status: 400,
    code: 'InvalidRequestContent',
    target: 'pendingUploadType',
  },
  'pendingUploadId number': { body: '{"pendingUploadId":5}', status: 400, code: 'InvalidRequestContent', target: 'pendingUploadId' },
  'pendingUploadId object': {
    body: '{"pendingUploadId":{"id":"x"}}',
    status: 400,
    code: 'InvalidRequestContent',
    target: 'pendingUploadId',
  },
  'pendingUploadId 1025 characters': {
    body: JSON.stringify({ pendingUploadId: 'p'.repeat(1025) }),
    status: 400,
    code: 'InvalidRequestContent',
    target: 'pendingUploadId',
  },
  'array body': { body: '[{"pendingUploadType":"None"}]', status: 400, code: 'InvalidRequestContent', target: null },
  'invalid JSON': { body: '{"pendingUploadType":', status: 400, code: 'InvalidRequestContent', target: null },
  'JSON string body': { body: '"None"', status: 400, code: 'InvalidRequestContent', target: null },
  // Refused before parsing: megabytes of nesting would hold the event loop for seconds.
  'JSON nested 3,000,000 deep': { body: '['.repeat(3_000_000), status: 400, code: 'InvalidRequestContent', target: null },
  'JSON nested 33 deep': { body: `{"pendingUploadId":${'['.repeat(32)}${']'.repeat(32)}}`, status: 400, code: 'InvalidRequestContent', target: null },
  'text/plain body': {
    body: '{"pendingUploadType":"None"}',
    contentType: 'text/plain',
    status: 415,
    code: 'UnsupportedMediaType',
    target: null,
  },
  'application/xml body': { body: '<x/>', contentType: 'application/xml', status: 415, code: 'UnsupportedMediaType', target: null },
  'form body': {
    body: 'pendingUploadType=None',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'UnsupportedMediaType',
    target: null,
  },
  'octet-stream body': {
    body: '{"pendingUploadType":"None"}',
    contentType: 'application/octet-stream',
    status: 415,
    code: 'UnsupportedMediaType',
    target: null,
  },
};

describe('Azure startPendingUpload: bad input', () => {
  test.each(Object.entries(AZURE_CASES))('%s', async (_name, c) => {
    const clientRequestId = `client-${Math.random().toString(36).slice(2)}`;
    const res = await expectNothingCreated(() =>
      send('POST', c.path ?? AZURE_PATH(), {
        query: c.query ?? GOOD_QUERY,
        ...(c.body !== undefined ? { body: c.body } : {}),
        contentType: c.contentType ?? 'application/json',
        headers: { 'x-ms-client-request-id': clientRequestId },
      }),
    );
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectArmError(res.json);
    expect(res.json.error.code).toBe(c.code);
    if (c.target === null) expect(res.json.error).not.toHaveProperty('target');
    else expect(res.json.error.target).toBe(c.target);
    expect(res.json.error.message.length).toBeGreaterThan(0);
    expect(res.headers.get('x-ms-request-id')).toMatch(UUID);
    expect(res.headers.get('x-ms-client-request-id')).toBe(clientRequestId);
    expect(res.headers.get('x-lease-id')).toBeNull();
    expectNoInternals(res.text);
  });

  it('without x-ms-client-request-id: x-ms-request-id still set, nothing echoed', async () => {
    const res = await expectNothingCreated(() => send('POST', AZURE_PATH(), { query: '', contentType: 'application/json' }));
    expect(res.status).toBe(400);
    expectArmError(res.json);
    expect(res.json.error.code).toBe('MissingApiVersionParameter');
    expect(res.headers.get('x-ms-request-id')).toMatch(UUID);
    expect(res.headers.get('x-ms-client-request-id')).toBeNull();
  });

  it('every rejected request gets its own x-ms-request-id', async () => {
    const a = await send('POST', AZURE_PATH(), { query: 'api-version=abc' });
    const b = await send('POST', AZURE_PATH(), { query: 'api-version=abc' });
    expect(a.headers.get('x-ms-request-id')).not.toBe(b.headers.get('x-ms-request-id'));
  });

  it('the error message names the offending value or parameter', async () => {
    const unsupported = await send('POST', AZURE_PATH(), { query: 'api-version=2020-01-01' });
    expect(unsupported.json.error.message).toContain('2020-01-01');
    expect(unsupported.json.error.message).toContain(API_VERSION);
    const body = await send('POST', AZURE_PATH(), { query: GOOD_QUERY, body: '{"pendingUploadType":"Foo"}', contentType: 'application/json' });
    expect(body.json.error.message).toContain('pendingUploadType');
  });
});

// ---------------------------------------------------------------------------------------------
// Alibaba ApplyFileUploadLease
// ---------------------------------------------------------------------------------------------

const WS = 'ws_3AXoiweeTyTd03IN';
const ALI_PATH = (ws = WS, cat = 'default') => `/${ws}/datacenter/category/${cat}`;
const MD5 = '19657c391f6c70bcea63c154d8606bb3';
const VALID = { FileName: 'report.pdf', Md5: MD5, SizeInBytes: '1000' } as Record<string, unknown>;
const FORM = 'application/x-www-form-urlencoded';

/** The valid parameters with `overrides` applied; an undefined override removes the parameter. */
function params(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...VALID, ...overrides };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}
const form = (overrides: Record<string, unknown> = {}) =>
  new URLSearchParams(Object.entries(params(overrides)).map(([k, v]) => [k, String(v)] as [string, string])).toString();
const json = (overrides: Record<string, unknown> = {}) => JSON.stringify(params(overrides));

interface AlibabaCase {
  path?: string;
  query?: string;
  body?: string;
  contentType?: string;
  status: number;
  code: string;
  /** A word the Message must contain (the parameter it is about). */
  mentions?: string;
}

const formCase = (overrides: Record<string, unknown>, code: string, mentions?: string, status = 400): AlibabaCase => ({
  body: form(overrides),
  contentType: FORM,
  status,
  code,
  ...(mentions ? { mentions } : {}),
});
const jsonCase = (overrides: Record<string, unknown>, code: string, mentions?: string, status = 400): AlibabaCase => ({
  body: json(overrides),
  contentType: 'application/json',
  status,
  code,
  ...(mentions ? { mentions } : {}),
});
const queryCase = (overrides: Record<string, unknown>, code: string, mentions?: string, status = 400): AlibabaCase => ({
  query: form(overrides),
  status,
  code,
  ...(mentions ? { mentions } : {}),
});

const EMOJI = '\u{1F600}';

const ALIBABA_CASES: Record<string, AlibabaCase> = {
  // FileName: 4..128 code points, supported extension, no control characters
  'FileName 3 characters': formCase({ FileName: '.md' }, 'InvalidParameter', 'FileName'),
  'FileName 129 characters': formCase({ FileName: 'x'.repeat(125) + '.pdf' }, 'InvalidParameter', 'FileName'),
  'FileName 129 code points': jsonCase({ FileName: EMOJI.repeat(125) + '.pdf' }, 'InvalidParameter', 'FileName'),
  'FileName .exe': formCase({ FileName: 'setup.exe' }, 'InvalidParameter', 'FileName'),
  'FileName without extension': formCase({ FileName: 'report' }, 'InvalidParameter', 'FileName'),
  'FileName .jpeg': formCase({ FileName: 'photo.jpeg' }, 'InvalidParameter', 'FileName'),
  'FileName .pdf.exe': jsonCase({ FileName: 'report.pdf.exe' }, 'InvalidParameter', 'FileName'),
  'FileName with a control character': formCase({ FileName: 'a\u0001b.pdf' }, 'InvalidParameter', 'FileName'),
  'FileName with NUL': jsonCase({ FileName: 'a\u0000b.pdf' }, 'InvalidParameter', 'FileName'),
  'FileName with a newline': formCase({ FileName: 'a\nb.pdf' }, 'InvalidParameter', 'FileName'),
  'FileName number (JSON)': jsonCase({ FileName: 1234 }, 'InvalidParameter', 'FileName'),
  // Md5: exactly 32 hex digits
  'Md5 31 hex digits': formCase({ Md5: MD5.slice(1) }, 'InvalidParameter', 'Md5'),
  'Md5 33 hex digits': formCase({ Md5: `${MD5}0` }, 'InvalidParameter', 'Md5'),
  'Md5 not hex': formCase({ Md5: 'z'.repeat(32) }, 'InvalidParameter', 'Md5'),
  'Md5 base64': jsonCase({ Md5: 'GWV8OR9scLzqY8FUjYBrsw==' }, 'InvalidParameter', 'Md5'),
  'Md5 empty': formCase({ Md5: '' }, 'InvalidParameter', 'Md5'),
  // SizeInBytes: 1..100000000, string or number
  'SizeInBytes "0"': formCase({ SizeInBytes: '0' }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes 0 (JSON number)': jsonCase({ SizeInBytes: 0 }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes "-1"': formCase({ SizeInBytes: '-1' }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes -1 (JSON number)': jsonCase({ SizeInBytes: -1 }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes "1.5"': formCase({ SizeInBytes: '1.5' }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes 1.5 (JSON number)': jsonCase({ SizeInBytes: 1.5 }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes "abc"': formCase({ SizeInBytes: 'abc' }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes empty': formCase({ SizeInBytes: '' }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes true (JSON)': jsonCase({ SizeInBytes: true }, 'InvalidParameter', 'SizeInBytes'),
  'SizeInBytes "100000001" (form)': formCase({ SizeInBytes: '100000001' }, 'DataCenter.FileTooLarge', '100000000'),
  'SizeInBytes "100000001" (JSON string)': jsonCase({ SizeInBytes: '100000001' }, 'DataCenter.FileTooLarge', '100000000'),
  'SizeInBytes 100000001 (JSON number)': jsonCase({ SizeInBytes: 100_000_001 }, 'DataCenter.FileTooLarge', '100000000'),
  'SizeInBytes 100000001 (query)': queryCase({ SizeInBytes: '100000001' }, 'DataCenter.FileTooLarge', '100000000'),
  'SizeInBytes 20 digits': formCase({ SizeInBytes: '99999999999999999999' }, 'DataCenter.FileTooLarge'),
  // missing parameters, wherever they would come from
  'FileName missing (form)': formCase({ FileName: undefined }, 'MissingParameter', 'FileName'),
  'Md5 missing (form)': formCase({ Md5: undefined }, 'MissingParameter', 'Md5'),
  'SizeInBytes missing (form)': formCase({ SizeInBytes: undefined }, 'MissingParameter', 'SizeInBytes'),
  'FileName missing (JSON)': jsonCase({ FileName: undefined }, 'MissingParameter', 'FileName'),
  'Md5 missing (JSON)': jsonCase({ Md5: undefined }, 'MissingParameter', 'Md5'),
  'SizeInBytes missing (JSON)': jsonCase({ SizeInBytes: undefined }, 'MissingParameter', 'SizeInBytes'),
  'FileName missing (query)': queryCase({ FileName: undefined }, 'MissingParameter', 'FileName'),
  'Md5 missing (query)': queryCase({ Md5: undefined }, 'MissingParameter', 'Md5'),
  'SizeInBytes missing (query)': queryCase({ SizeInBytes: undefined }, 'MissingParameter', 'SizeInBytes'),
  'no parameters, no body': { status: 400, code: 'MissingParameter', mentions: 'FileName' },
  'empty JSON object': { body: '{}', contentType: 'application/json', status: 400, code: 'MissingParameter', mentions: 'FileName' },
  // duplicates
  'FileName in query and form with different values': {
    query: 'FileName=other.pdf',
    body: form(),
    contentType: FORM,
    status: 400,
    code: 'InvalidParameter',
    mentions: 'FileName',
  },
  'SizeInBytes in query and JSON with different values': {
    query: 'SizeInBytes=2000',
    body: json(),
    contentType: 'application/json',
    status: 400,
    code: 'InvalidParameter',
    mentions: 'SizeInBytes',
  },
  'Md5 in query and form with different values': {
    query: `Md5=${'a'.repeat(32)}`,
    body: form(),
    contentType: FORM,
    status: 400,
    code: 'InvalidParameter',
    mentions: 'Md5',
  },
  'form field repeated with different values': {
    body: `${form()}&FileName=other.pdf`,
    contentType: FORM,
    status: 400,
    code: 'InvalidParameter',
    mentions: 'FileName',
  },
  'query parameter repeated with different values': {
    query: `${form()}&SizeInBytes=2000`,
    status: 400,
    code: 'InvalidParameter',
    mentions: 'SizeInBytes',
  },
  // path parameters
  'WorkspaceId with an encoded slash': { path: ALI_PATH('ws%2Fx'), body: form(), contentType: FORM, status: 400, code: 'InvalidParameter', mentions: 'WorkspaceId' },
  'WorkspaceId unicode': { path: ALI_PATH('w%C5%9B'), body: form(), contentType: FORM, status: 400, code: 'InvalidParameter', mentions: 'WorkspaceId' },
  'WorkspaceId with a space': { path: ALI_PATH('w%20s'), body: form(), contentType: FORM, status: 400, code: 'InvalidParameter', mentions: 'WorkspaceId' },
  'WorkspaceId 129 characters': {
    path: ALI_PATH('w'.repeat(129)),
    body: form(),
    contentType: FORM,
    status: 400,
    code: 'InvalidParameter',
    mentions: 'WorkspaceId',
  },
  'CategoryId with an encoded slash': {
    path: ALI_PATH(WS, 'cat%2Fx'),
    body: form(),
    contentType: FORM,
    status: 400,
    code: 'InvalidParameter',
    mentions: 'CategoryId',
  },
  'CategoryId unicode': { path: ALI_PATH(WS, '%E7%B1%BB'), body: form(), contentType: FORM, status: 400, code: 'InvalidParameter', mentions: 'CategoryId' },
  'CategoryId 129 characters': {
    path: ALI_PATH(WS, 'c'.repeat(129)),
    body: form(),
    contentType: FORM,
    status: 400,
    code: 'InvalidParameter',
    mentions: 'CategoryId',
  },
  // media types and malformed bodies
  'text/plain body': { body: form(), contentType: 'text/plain', status: 415, code: 'UnsupportedMediaType' },
  'application/xml body': { body: '<FileName>a.pdf</FileName>', contentType: 'application/xml', status: 415, code: 'UnsupportedMediaType' },
  'multipart body': { body: '--x--', contentType: 'multipart/form-data; boundary=x', status: 415, code: 'UnsupportedMediaType' },
  'invalid JSON': { body: '{"FileName":', contentType: 'application/json', status: 400, code: 'InvalidParameter' },
  'JSON array': { body: `[${json()}]`, contentType: 'application/json', status: 400, code: 'InvalidParameter' },
  'JSON nested 3,000,000 deep': { body: '{"FileName":' + '['.repeat(3_000_000), contentType: 'application/json', status: 400, code: 'InvalidParameter', mentions: 'larger than' },
  'JSON nested 33 deep': { body: `{"FileName":${'['.repeat(32)}${']'.repeat(32)}}`, contentType: 'application/json', status: 400, code: 'InvalidParameter', mentions: 'deeper than' },
};

describe('Alibaba ApplyFileUploadLease: bad input', () => {
  test.each(Object.entries(ALIBABA_CASES))('%s', async (_name, c) => {
    const res = await expectNothingCreated(() =>
      send('POST', c.path ?? ALI_PATH(), {
        ...(c.query !== undefined ? { query: c.query } : {}),
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.contentType !== undefined ? { contentType: c.contentType } : {}),
      }),
    );
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectAlibabaError(res.json);
    expect(res.json.Code).toBe(c.code);
    expect(res.json.Status).toBe(String(c.status));
    expect(res.json.Success).toBe(false);
    expect(res.json.Message.length).toBeGreaterThan(0);
    if (c.mentions) expect(res.json.Message).toContain(c.mentions);
    expect(res.json.RequestId).toMatch(UUID);
    expect(res.headers.get('x-acs-request-id')).toBe(res.json.RequestId);
    expect(res.headers.get('x-lease-id')).toBeNull();
    expectNoInternals(res.text);
  });

  it('every rejected request gets its own RequestId', async () => {
    const a = await send('POST', ALI_PATH(), { body: form({ Md5: 'x' }), contentType: FORM });
    const b = await send('POST', ALI_PATH(), { body: form({ Md5: 'x' }), contentType: FORM });
    expect(a.json.RequestId).not.toBe(b.json.RequestId);
  });
});

// ---------------------------------------------------------------------------------------------
// GET /leases/{leaseId}
// ---------------------------------------------------------------------------------------------

describe('GET /leases/{leaseId}', () => {
  test.each([
    ['not hex', 'not-a-lease'],
    ['upper-case hex', 'A'.repeat(32)],
    ['31 hex digits', 'a'.repeat(31)],
    ['33 hex digits', 'a'.repeat(33)],
    ['short timestamp', `${'a'.repeat(32)}.123`],
    ['dot without timestamp', `${'a'.repeat(32)}.`],
    ['encoded traversal', '..%2F..%2Fetc'],
    ['encoded space', `${'a'.repeat(32)}%20`],
  ])('bad id (%s) -> 400 InvalidLeaseId', async (_label, id) => {
    const res = await expectNothingCreated(() => send('GET', `/leases/${id}`));
    expect(res.status).toBe(400);
    expectBrokerError(res.json);
    expect(res.json.error.code).toBe('InvalidLeaseId');
    expect(res.headers.get('x-request-id')).toBe(res.json.error.requestId);
    expectNoInternals(res.text);
  });

  test.each([
    ['Azure-shaped', 'f'.repeat(32)],
    ['Alibaba-shaped', `${'0123456789abcdef'.repeat(2)}.1719325231035`],
  ])('well-formed unknown id (%s) -> 404 LeaseNotFound', async (_label, id) => {
    const res = await expectNothingCreated(() => send('GET', `/leases/${id}`));
    expect(res.status).toBe(404);
    expectBrokerError(res.json);
    expect(res.json.error.code).toBe('LeaseNotFound');
    expect(res.json.error.message).toContain(id);
    expect(res.headers.get('x-request-id')).toBe(res.json.error.requestId);
    expect(res.json.error.requestId).toMatch(UUID);
  });
});

// ---------------------------------------------------------------------------------------------
// Requests that match no route
// ---------------------------------------------------------------------------------------------

describe('unknown routes', () => {
  test.each([
    ['GET', '/'],
    ['POST', '/nope'],
    ['GET', '/leases'],
    ['GET', '/leases/'],
    ['GET', `/leases/${'a'.repeat(32)}/extra`],
    ['PUT', `/leases/${'a'.repeat(32)}`],
    ['GET', AZURE_PATH()],
    ['PUT', AZURE_PATH()],
    ['POST', `${AZURE_PATH()}/`],
    ['POST', AZURE_PATH().replace('/startPendingUpload', '/startpendingupload-x')],
    // Empty path parameters cannot match a route (API Gateway answers the same way).
    ['POST', AZURE_PATH({ sub: '' })],
    ['POST', AZURE_PATH({ rg: '' })],
    ['POST', AZURE_PATH({ ws: '' })],
    ['POST', AZURE_PATH({ name: '' })],
    ['POST', ALI_PATH('')],
    ['POST', ALI_PATH(WS, '')],
    ['POST', `/${WS}/datacenter/category`],
    ['GET', ALI_PATH()],
    ['POST', `/a/b${ALI_PATH()}`],
  ])('%s %s -> 404 {"message":"Not Found"}', async (method, path) => {
    const res = await expectNothingCreated(() =>
      send(method, path, {
        query: GOOD_QUERY,
        ...(method === 'GET' ? {} : { body: form(), contentType: FORM }),
      }),
    );
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ message: 'Not Found' });
  });
});

// ---------------------------------------------------------------------------------------------
// Controls: the counters do see what a valid request creates, so "nothing created" means something.
// ---------------------------------------------------------------------------------------------

describe('controls', () => {
  it('a valid Alibaba request creates one lease, and an upload to its URL one object', async () => {
    const content = Buffer.from('%PDF-1.4 control document');
    const md5 = createHash('md5').update(content).digest('hex');
    const leasesBefore = await countLeases();
    const objectsBefore = await countObjects();
    const res = await send('POST', ALI_PATH(), { body: form({ Md5: md5.toUpperCase(), SizeInBytes: String(content.length) }), contentType: FORM });
    expect(res.status).toBe(200);
    expectAlibabaResponse(res.json);
    expect(res.headers.get('x-acs-request-id')).toBe(res.json.RequestId);
    expect(await countLeases()).toBe(leasesBefore + 1);

    const { Url, Method, Headers: uploadHeaders } = res.json.Data.Param;
    const put = await fetch(Url, { method: Method, headers: uploadHeaders, body: content });
    expect(put.status).toBe(200);
    await broker.eventsSettled();
    expect(await countObjects()).toBe(objectsBefore + 1);
  });

  it('a valid Azure request creates one lease', async () => {
    const before = await countLeases();
    const res = await send('POST', AZURE_PATH({ name: 'control-code' }), {
      query: GOOD_QUERY,
      body: '{"pendingUploadType":"TemporaryBlobReference"}',
      contentType: 'application/json',
      headers: { 'x-ms-client-request-id': 'control-1' },
    });
    expect(res.status).toBe(200);
    expectAzureResponse(res.json);
    expect(res.headers.get('x-ms-client-request-id')).toBe('control-1');
    expect(await countLeases()).toBe(before + 1);
  });
});
