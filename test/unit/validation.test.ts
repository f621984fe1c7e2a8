import { describe, expect, it, test } from '@jest/globals';
import { parseAlibabaRequest } from '../../shared/contracts/alibaba/request.js';
import { parseAzureRequest } from '../../shared/contracts/azure/request.js';
import {
  FileTooLargeError,
  MalformedBodyError,
  MissingApiVersionError,
  UnsupportedApiVersionError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../shared/errors.js';
import type { HttpEvent } from '../../shared/http/types.js';

// ---------------------------------------------------------------------------------------------
// Hand-built API Gateway HTTP API (payload 2.0) events, as the handlers see them after
// @middy/http-header-normalizer: header names lower-case.
// ---------------------------------------------------------------------------------------------

interface EventSpec {
  headers?: Record<string, string>;
  rawQueryString?: string;
  pathParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

function apiEvent(spec: EventSpec): HttpEvent {
  const now = Date.UTC(2025, 0, 1);
  return {
    version: '2.0',
    routeKey: 'POST /test',
    rawPath: '/test',
    rawQueryString: spec.rawQueryString ?? '',
    headers: spec.headers ?? {},
    ...(spec.pathParameters ? { pathParameters: spec.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'unit',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: '/test', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'unit-request',
      routeKey: 'POST /test',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    isBase64Encoded: spec.isBase64Encoded ?? false,
  };
}

/** The value `fn` throws; fails the test when it does not throw. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned normally');
}

function expectValidationError(
  fn: () => unknown,
  expected: { target?: string; location?: ValidationError['location']; reason?: ValidationError['reason'] },
): ValidationError {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(ValidationError);
  const v = error as ValidationError;
  if ('target' in expected) expect(v.target).toBe(expected.target);
  if (expected.location) expect(v.location).toBe(expected.location);
  if (expected.reason) expect(v.reason).toBe(expected.reason);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Azure ML: Code Versions - Create Or Get Start Pending Upload
// ---------------------------------------------------------------------------------------------

const API_VERSION = '2025-09-01';
const AZURE_WS_PATH = {
  subscriptionId: '00000000-1111-2222-3333-444444444444',
  resourceGroupName: 'test-rg',
  workspaceName: 'my-aml-workspace',
  name: 'my-code',
  version: '1',
};
const AZURE_REG_PATH = {
  subscriptionId: '00000000-1111-2222-3333-444444444444',
  resourceGroupName: 'test-rg',
  registryName: 'my-registry',
  name: 'my-code',
  version: '1',
};

function azureEvent(o: {
  query?: string;
  path?: Record<string, string>;
  body?: string;
  contentType?: string | null;
  isBase64Encoded?: boolean;
} = {}): HttpEvent {
  const contentType = o.contentType === undefined ? 'application/json' : o.contentType;
  return apiEvent({
    rawQueryString: o.query ?? `api-version=${API_VERSION}`,
    pathParameters: o.path ?? AZURE_WS_PATH,
    headers: contentType === null ? {} : { 'content-type': contentType },
    ...(o.body !== undefined ? { body: o.body } : {}),
    ...(o.isBase64Encoded !== undefined ? { isBase64Encoded: o.isBase64Encoded } : {}),
  });
}

describe('parseAzureRequest: api-version', () => {
  it('accepts the supported api-version', () => {
    const request = parseAzureRequest(azureEvent());
    expect(request).toEqual({
      subscriptionId: AZURE_WS_PATH.subscriptionId,
      resourceGroupName: 'test-rg',
      parentKind: 'workspaces',
      parentName: 'my-aml-workspace',
      name: 'my-code',
      version: '1',
    });
  });

  test.each([
    ['absent', ''],
    ['other parameters only', 'foo=bar'],
    ['empty value', 'api-version='],
  ])('missing (%s) -> MissingApiVersionError', (_label, query) => {
    const error = thrownBy(() => parseAzureRequest(azureEvent({ query })));
    expect(error).toBeInstanceOf(MissingApiVersionError);
  });

  it('is checked before the path and the body', () => {
    const error = thrownBy(() =>
      parseAzureRequest(azureEvent({ query: '', path: { ...AZURE_WS_PATH, workspaceName: 'x' }, body: '[' })),
    );
    expect(error).toBeInstanceOf(MissingApiVersionError);
  });

  test.each([
    ['2020-01-01', false],
    ['2025-09-01-preview', false],
    ['abc', true],
    ['2025-9-1', true],
    ['2025-09-01x', true],
  ])('unsupported %j -> UnsupportedApiVersionError malformed=%j', (apiVersion, malformed) => {
    const error = thrownBy(() => parseAzureRequest(azureEvent({ query: `api-version=${encodeURIComponent(apiVersion)}` })));
    expect(error).toBeInstanceOf(UnsupportedApiVersionError);
    const e = error as UnsupportedApiVersionError;
    expect(e.malformed).toBe(malformed);
    expect(e.apiVersion).toBe(apiVersion);
    expect(e.supported).toContain(API_VERSION);
    expect(e.message).toContain(API_VERSION);
  });

  it('duplicate api-version with different values -> ValidationError (query, duplicate)', () => {
    expectValidationError(() => parseAzureRequest(azureEvent({ query: `api-version=${API_VERSION}&api-version=2020-01-01` })), {
      target: 'api-version',
      location: 'query',
      reason: 'duplicate',
    });
  });

  it('duplicate api-version with the same value is accepted', () => {
    expect(parseAzureRequest(azureEvent({ query: `api-version=${API_VERSION}&api-version=${API_VERSION}` })).name).toBe('my-code');
  });
});

describe('parseAzureRequest: path parameters', () => {
  const armName = (n: number, first = 'a') => first + 'b'.repeat(n - 1);

  test.each([
    ['workspaceName', AZURE_WS_PATH, 'workspaces'],
    ['registryName', AZURE_REG_PATH, 'registries'],
  ] as const)('%s pattern boundaries', (param, basePath, parentKind) => {
    const parse = (value: string) => parseAzureRequest(azureEvent({ path: { ...basePath, [param]: value } }));
    for (const ok of [armName(3), armName(33), 'A_b-9', '9ab', 'abc-_']) {
      const request = parse(ok);
      expect(request.parentName).toBe(ok);
      expect(request.parentKind).toBe(parentKind);
    }
    for (const bad of [armName(2), armName(34), '_abc', '-abc', 'ab.c', 'abc d', 'ábc', '']) {
      expectValidationError(() => parse(bad), { target: param, location: 'path', reason: 'invalid' });
    }
  });

  it('resourceGroupName: 1..90 characters', () => {
    const parse = (value: string) => parseAzureRequest(azureEvent({ path: { ...AZURE_WS_PATH, resourceGroupName: value } }));
    expect(parse('r').resourceGroupName).toBe('r');
    expect(parse('r'.repeat(90)).resourceGroupName).toBe('r'.repeat(90));
    expectValidationError(() => parse(''), { target: 'resourceGroupName', location: 'path', reason: 'invalid' });
    expectValidationError(() => parse('r'.repeat(91)), { target: 'resourceGroupName', location: 'path', reason: 'invalid' });
    expectValidationError(() => parse('a/b'), { target: 'resourceGroupName', location: 'path' });
  });

  it('subscriptionId: empty or with a slash fails', () => {
    const parse = (value: string) => parseAzureRequest(azureEvent({ path: { ...AZURE_WS_PATH, subscriptionId: value } }));
    expect(parse('s').subscriptionId).toBe('s');
    expectValidationError(() => parse(''), { target: 'subscriptionId', location: 'path', reason: 'invalid' });
    expectValidationError(() => parse('a/b'), { target: 'subscriptionId', location: 'path' });
  });

  test.each(['name', 'version'])('%s: 1..255 characters, no slash, backslash or control characters', (param) => {
    const parse = (value: string) => parseAzureRequest(azureEvent({ path: { ...AZURE_WS_PATH, [param]: value } }));
    expect(parse('x'.repeat(255))[param as 'name' | 'version']).toBe('x'.repeat(255));
    expect(parse('Mixed Case.v1')[param as 'name' | 'version']).toBe('Mixed Case.v1');
    for (const bad of ['', 'x'.repeat(256), 'a/b', 'a\\b', 'a\u0000b', 'a\nb', 'a\u007fb']) {
      expectValidationError(() => parse(bad), { target: param, location: 'path', reason: 'invalid' });
    }
  });

  test.each(['subscriptionId', 'resourceGroupName', 'name', 'version'])('missing %s -> ValidationError reason missing', (param) => {
    const path: Record<string, string> = { ...AZURE_WS_PATH };
    delete path[param];
    expectValidationError(() => parseAzureRequest(azureEvent({ path })), { target: param, location: 'path', reason: 'missing' });
  });
});

describe('parseAzureRequest: body', () => {
  test.each([
    ['undefined', undefined],
    ['empty', ''],
    ['whitespace', ' \n\t '],
    ['{}', '{}'],
    ['null', 'null'],
    ['pendingUploadType None', '{"pendingUploadType":"None"}'],
    ['pendingUploadType null', '{"pendingUploadType":null,"pendingUploadId":null}'],
    ['unknown properties', '{"somethingElse":1}'],
  ])('body %s is accepted and yields no pendingUploadId', (_label, body) => {
    const request = parseAzureRequest(azureEvent(body === undefined ? {} : { body }));
    expect(request.pendingUploadId).toBeUndefined();
    expect(request.parentName).toBe('my-aml-workspace');
  });

  it('an empty or whitespace body needs no content type at all', () => {
    expect(parseAzureRequest(azureEvent({ body: '  ', contentType: 'text/plain' })).name).toBe('my-code');
    expect(parseAzureRequest(azureEvent({ body: '', contentType: null })).name).toBe('my-code');
  });

  it('pendingUploadType TemporaryBlobReference with a pendingUploadId', () => {
    const request = parseAzureRequest(azureEvent({ body: '{"pendingUploadType":"TemporaryBlobReference","pendingUploadId":"x"}' }));
    expect(request.pendingUploadId).toBe('x');
  });

  it('an empty pendingUploadId counts as none', () => {
    expect(parseAzureRequest(azureEvent({ body: '{"pendingUploadId":""}' })).pendingUploadId).toBeUndefined();
  });

  test.each([
    ['application/json; charset=utf-8'],
    ['application/merge-patch+json'],
    ['APPLICATION/JSON'],
  ])('JSON media type %j is accepted', (contentType) => {
    expect(parseAzureRequest(azureEvent({ body: '{"pendingUploadId":"abc"}', contentType })).pendingUploadId).toBe('abc');
  });

  it('a JSON body without a content type is accepted', () => {
    expect(parseAzureRequest(azureEvent({ body: '{"pendingUploadId":"abc"}', contentType: null })).pendingUploadId).toBe('abc');
  });

  it('a base64-encoded JSON body works', () => {
    const body = Buffer.from('{"pendingUploadType":"TemporaryBlobReference","pendingUploadId":"b64-id"}').toString('base64');
    expect(parseAzureRequest(azureEvent({ body, isBase64Encoded: true })).pendingUploadId).toBe('b64-id');
  });

  it("pendingUploadType 'Foo' -> ValidationError target pendingUploadType, location body", () => {
    const error = expectValidationError(() => parseAzureRequest(azureEvent({ body: '{"pendingUploadType":"Foo"}' })), {
      target: 'pendingUploadType',
      location: 'body',
      reason: 'invalid',
    });
    expect(error.message).toContain('pendingUploadType');
  });

  test.each([
    ['number', '{"pendingUploadId":5}'],
    ['object', '{"pendingUploadId":{"a":1}}'],
    ['boolean', '{"pendingUploadId":true}'],
    ['too long', JSON.stringify({ pendingUploadId: 'x'.repeat(1025) })],
  ])('pendingUploadId %s -> ValidationError', (_label, body) => {
    expectValidationError(() => parseAzureRequest(azureEvent({ body })), { target: 'pendingUploadId', location: 'body', reason: 'invalid' });
  });

  test.each([
    ['array', '[]'],
    ['array of object', '[{"pendingUploadType":"None"}]'],
    ['string', '"None"'],
    ['number', '42'],
    ['invalid JSON', '{"pendingUploadType":'],
    ['not JSON', 'pendingUploadType=None'],
  ])('%s body -> MalformedBodyError', (_label, body) => {
    expect(thrownBy(() => parseAzureRequest(azureEvent({ body })))).toBeInstanceOf(MalformedBodyError);
  });

  test.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/xml'], ['multipart/form-data; boundary=x']])(
    '%s with a body -> UnsupportedMediaTypeError',
    (contentType) => {
      expect(thrownBy(() => parseAzureRequest(azureEvent({ body: '{"pendingUploadType":"None"}', contentType })))).toBeInstanceOf(
        UnsupportedMediaTypeError,
      );
    },
  );

  it('path errors are reported before body errors', () => {
    expectValidationError(() => parseAzureRequest(azureEvent({ path: { ...AZURE_WS_PATH, workspaceName: 'x' }, body: '[' })), {
      target: 'workspaceName',
      location: 'path',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Alibaba Cloud Model Studio: ApplyFileUploadLease
// ---------------------------------------------------------------------------------------------

const ALI_PATH = { WorkspaceId: 'ws_3AXoiweeTyTd03IN', CategoryId: 'cate_cdd11b1b79a74e8bbd675c356a91ee3510024405' };
const MD5 = '19657c391f6c70bcea63c154d8606bb3';
const PARAMS = { FileName: 'report.pdf', Md5: MD5, SizeInBytes: '1000' };
type Params = Record<string, unknown>;

const FORM = 'application/x-www-form-urlencoded';
const toForm = (params: Params) =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)] as [string, string])).toString();

function aliEvent(o: {
  form?: Params | string;
  json?: Params | string;
  query?: Params | string;
  path?: Record<string, string>;
  contentType?: string | null;
  body?: string;
  isBase64Encoded?: boolean;
}): HttpEvent {
  let body = o.body;
  let contentType: string | undefined;
  if (o.form !== undefined) {
    body = typeof o.form === 'string' ? o.form : toForm(o.form);
    contentType = FORM;
  } else if (o.json !== undefined) {
    body = typeof o.json === 'string' ? o.json : JSON.stringify(o.json);
    contentType = 'application/json';
  }
  if (o.contentType !== undefined) contentType = o.contentType ?? undefined;
  return apiEvent({
    pathParameters: o.path ?? ALI_PATH,
    rawQueryString: o.query === undefined ? '' : typeof o.query === 'string' ? o.query : toForm(o.query),
    headers: contentType ? { 'content-type': contentType } : {},
    ...(body !== undefined ? { body } : {}),
    ...(o.isBase64Encoded !== undefined ? { isBase64Encoded: o.isBase64Encoded } : {}),
  });
}

const parseForm = (params: Params) => parseAlibabaRequest(aliEvent({ form: params }));
const parseJson = (params: Params) => parseAlibabaRequest(aliEvent({ json: params }));

const EXPECTED = {
  workspaceId: ALI_PATH.WorkspaceId,
  categoryId: ALI_PATH.CategoryId,
  fileName: 'report.pdf',
  md5: MD5,
  sizeInBytes: 1000,
};

describe('parseAlibabaRequest: where parameters come from', () => {
  it('form body', () => {
    expect(parseForm(PARAMS)).toEqual(EXPECTED);
  });

  it('form body with a charset parameter', () => {
    expect(parseAlibabaRequest(aliEvent({ form: PARAMS, contentType: `${FORM}; charset=UTF-8` }))).toEqual(EXPECTED);
  });

  it('JSON body, SizeInBytes as a string or a number', () => {
    expect(parseJson(PARAMS)).toEqual(EXPECTED);
    expect(parseJson({ ...PARAMS, SizeInBytes: 1000 })).toEqual(EXPECTED);
  });

  it('query string only, no body', () => {
    expect(parseAlibabaRequest(aliEvent({ query: PARAMS }))).toEqual(EXPECTED);
  });

  it('query and body mixed', () => {
    expect(parseAlibabaRequest(aliEvent({ query: { FileName: 'report.pdf' }, form: { Md5: MD5, SizeInBytes: '1000' } }))).toEqual(EXPECTED);
    expect(parseAlibabaRequest(aliEvent({ query: { Md5: MD5, SizeInBytes: '1000' }, json: { FileName: 'report.pdf' } }))).toEqual(EXPECTED);
  });

  it('the same parameter in the query and the body with the same value is accepted', () => {
    expect(parseAlibabaRequest(aliEvent({ query: PARAMS, form: PARAMS }))).toEqual(EXPECTED);
    expect(parseAlibabaRequest(aliEvent({ query: PARAMS, json: { ...PARAMS, SizeInBytes: 1000 } }))).toEqual(EXPECTED);
  });

  it('base64-encoded form and JSON bodies work', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(parseAlibabaRequest(aliEvent({ body: b64(toForm(PARAMS)), contentType: FORM, isBase64Encoded: true }))).toEqual(EXPECTED);
    expect(
      parseAlibabaRequest(aliEvent({ body: b64(JSON.stringify(PARAMS)), contentType: 'application/json', isBase64Encoded: true })),
    ).toEqual(EXPECTED);
  });

  it('unicode file names survive percent-encoded form bodies', () => {
    expect(parseForm({ ...PARAMS, FileName: '报告 2024.docx' }).fileName).toBe('报告 2024.docx');
  });

  test.each(['FileName', 'Md5', 'SizeInBytes'])('%s in the query and the body with different values -> duplicate', (name) => {
    const other: Params = { FileName: 'other.pdf', Md5: 'a'.repeat(32), SizeInBytes: '2000' };
    for (const body of [{ form: PARAMS }, { json: PARAMS }]) {
      const error = expectValidationError(() => parseAlibabaRequest(aliEvent({ query: { [name]: other[name] }, ...body })), {
        target: name,
        reason: 'duplicate',
      });
      expect(error.message).toContain(name);
    }
  });

  test.each(['FileName', 'Md5', 'SizeInBytes'])('%s repeated in a form body with different values -> duplicate', (name) => {
    const other: Params = { FileName: 'other.pdf', Md5: 'a'.repeat(32), SizeInBytes: '2000' };
    const form = `${toForm(PARAMS)}&${toForm({ [name]: other[name] })}`;
    expectValidationError(() => parseAlibabaRequest(aliEvent({ form })), { target: name, location: 'body', reason: 'duplicate' });
  });

  test.each(['FileName', 'Md5', 'SizeInBytes'])('%s repeated in the query with different values -> duplicate', (name) => {
    const other: Params = { FileName: 'other.pdf', Md5: 'a'.repeat(32), SizeInBytes: '2000' };
    const query = `${toForm(PARAMS)}&${toForm({ [name]: other[name] })}`;
    expectValidationError(() => parseAlibabaRequest(aliEvent({ query })), { target: name, location: 'query', reason: 'duplicate' });
  });

  it('a form field repeated with the same value is accepted', () => {
    expect(parseAlibabaRequest(aliEvent({ form: `${toForm(PARAMS)}&FileName=report.pdf` }))).toEqual(EXPECTED);
  });

  test.each(['FileName', 'Md5', 'SizeInBytes'])('missing %s -> ValidationError reason missing naming it', (name) => {
    const params: Params = { ...PARAMS };
    delete params[name];
    for (const parse of [parseForm, parseJson, (p: Params) => parseAlibabaRequest(aliEvent({ query: p }))]) {
      const error = expectValidationError(() => parse(params), { target: name, reason: 'missing' });
      expect(error.message).toContain(name);
    }
  });

  it('no parameters at all -> missing FileName', () => {
    expectValidationError(() => parseAlibabaRequest(aliEvent({})), { target: 'FileName', reason: 'missing' });
  });

  test.each([['text/plain'], ['application/xml'], ['multipart/form-data; boundary=x']])('%s with a body -> UnsupportedMediaTypeError', (contentType) => {
    const error = thrownBy(() => parseAlibabaRequest(aliEvent({ body: toForm(PARAMS), contentType })));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
  });

  test.each([
    ['array', '[]'],
    ['invalid JSON', '{"FileName":'],
    ['string', '"report.pdf"'],
  ])('JSON body that is %s -> MalformedBodyError', (_label, json) => {
    expect(thrownBy(() => parseAlibabaRequest(aliEvent({ json })))).toBeInstanceOf(MalformedBodyError);
  });
});

describe('parseAlibabaRequest: path parameters', () => {
  test.each(['WorkspaceId', 'CategoryId'])('%s: empty, with a slash, unicode, too long -> ValidationError', (param) => {
    for (const bad of ['', 'a/b', 'wś', '工作区', 'a b', 'a\u0000', 'x'.repeat(129)]) {
      expectValidationError(() => parseAlibabaRequest(aliEvent({ form: PARAMS, path: { ...ALI_PATH, [param]: bad } })), {
        target: param,
        location: 'path',
        reason: 'invalid',
      });
    }
  });

  test.each(['WorkspaceId', 'CategoryId'])('missing %s -> ValidationError reason missing', (param) => {
    const path: Record<string, string> = { ...ALI_PATH };
    delete path[param];
    expectValidationError(() => parseAlibabaRequest(aliEvent({ form: PARAMS, path })), { target: param, location: 'path', reason: 'missing' });
  });

  it("CategoryId 'default' is accepted, and ids up to 128 characters", () => {
    expect(parseAlibabaRequest(aliEvent({ form: PARAMS, path: { ...ALI_PATH, CategoryId: 'default' } })).categoryId).toBe('default');
    const long = 'w'.repeat(128);
    expect(parseAlibabaRequest(aliEvent({ form: PARAMS, path: { WorkspaceId: long, CategoryId: 'c.1-2_3' } })).workspaceId).toBe(long);
  });

  it('path errors are reported before parameter errors', () => {
    expectValidationError(() => parseAlibabaRequest(aliEvent({ form: {}, path: { ...ALI_PATH, WorkspaceId: 'a/b' } })), {
      target: 'WorkspaceId',
      location: 'path',
    });
  });
});

describe('parseAlibabaRequest: FileName', () => {
  const emoji = '\u{1F600}';

  test.each([
    ['a.md', 'a.md'],
    ['A.PDF', 'A.PDF'],
    ['x.Docx', 'x.Docx'],
    ['notes.txt', 'notes.txt'],
    ['deck.ppt', 'deck.ppt'],
    ['deck.PPTX', 'deck.PPTX'],
    ['old.doc', 'old.doc'],
    ['128 ascii characters', 'x'.repeat(124) + '.pdf'],
    ['128 code points that are 252 UTF-16 units', emoji.repeat(124) + '.pdf'],
    ['4 code points, 5 UTF-16 units', `${emoji}.md`],
    ['spaces and unicode', 'Quarterly report – Q3 报告.docx'],
    ['several dots', 'archive.tar.pdf'],
  ])('accepts %s', (_label, fileName) => {
    expect(parseForm({ ...PARAMS, FileName: fileName }).fileName).toBe(fileName);
  });

  test.each([
    ['3 characters', '.md'],
    ['129 ascii characters', 'x'.repeat(125) + '.pdf'],
    ['129 code points', emoji.repeat(125) + '.pdf'],
    ['.exe', 'setup.exe'],
    ['no extension', 'report'],
    ['extension without a dot', 'reportpdf'],
    ['unsupported extension', 'photo.jpeg'],
    ['extension not at the end', 'a.pdf.exe'],
    ['trailing space', 'a.pdf '],
    ['NUL', 'a\u0000b.pdf'],
    ['newline', 'a\nb.pdf'],
    ['tab', 'a\tb.pdf'],
    ['unit separator', 'a\u001fb.pdf'],
    ['DEL', 'a\u007fb.pdf'],
  ])('rejects %s', (_label, fileName) => {
    for (const parse of [parseForm, parseJson]) {
      expectValidationError(() => parse({ ...PARAMS, FileName: fileName }), { target: 'FileName', location: 'body', reason: 'invalid' });
    }
  });

  it('rejects a FileName that is not a string (JSON)', () => {
    expectValidationError(() => parseJson({ ...PARAMS, FileName: 1234 }), { target: 'FileName', reason: 'invalid' });
  });
});

describe('parseAlibabaRequest: Md5', () => {
  it('accepts exactly 32 hex digits and lower-cases them', () => {
    expect(parseForm({ ...PARAMS, Md5: MD5.toUpperCase() }).md5).toBe(MD5);
    expect(parseForm({ ...PARAMS, Md5: 'AbCdEf0123456789aBcDeF0123456789' }).md5).toBe('abcdef0123456789abcdef0123456789');
  });

  test.each([
    ['31 hex digits', MD5.slice(1)],
    ['33 hex digits', MD5 + 'a'],
    ['non-hex', 'g'.repeat(32)],
    ['base64 digest', 'GWV8OR9scLzqY8FUjYBrsw=='],
    ['empty', ''],
    ['with spaces', ` ${MD5.slice(2)} `],
  ])('rejects %s', (_label, md5) => {
    expectValidationError(() => parseForm({ ...PARAMS, Md5: md5 }), { target: 'Md5', location: 'body', reason: 'invalid' });
  });
});

describe('parseAlibabaRequest: SizeInBytes', () => {
  test.each([
    ['1', 1],
    [1, 1],
    ['100000000', 100_000_000],
    [100_000_000, 100_000_000],
    ['0001000', 1000],
  ])('accepts %j', (size, expected) => {
    expect(parseJson({ ...PARAMS, SizeInBytes: size }).sizeInBytes).toBe(expected);
    expect(parseForm({ ...PARAMS, SizeInBytes: size }).sizeInBytes).toBe(expected);
  });

  test.each([0, '0', '-1', -1, '1.5', 1.5, 'abc', '', ' 1', '1e3', true, null, [], {}] as unknown[])('rejects %j with ValidationError', (size) => {
    expectValidationError(() => parseJson({ ...PARAMS, SizeInBytes: size }), { target: 'SizeInBytes', location: 'body', reason: 'invalid' });
  });

  test.each(['0', '-1', '1.5', 'abc', ''])('rejects %j from a form body', (size) => {
    expectValidationError(() => parseForm({ ...PARAMS, SizeInBytes: size }), { target: 'SizeInBytes', reason: 'invalid' });
  });

  test.each([
    ['100000001', 100_000_001],
    [100_000_001, 100_000_001],
    ['99999999999999999999', 1e20],
  ] as const)('%j -> FileTooLargeError', (size, numeric) => {
    for (const parse of [parseJson, parseForm]) {
      const error = thrownBy(() => parse({ ...PARAMS, SizeInBytes: size }));
      expect(error).toBeInstanceOf(FileTooLargeError);
      expect((error as FileTooLargeError).size).toBe(numeric);
      expect((error as FileTooLargeError).limit).toBe(100_000_000);
    }
  });
});

describe('validation messages say what to fix in words, not the regular expression', () => {
  const alibaba = (body: Record<string, unknown>) => {
    try {
      parseAlibabaRequest(apiEvent({ pathParameters: { WorkspaceId: 'ws', CategoryId: 'c' }, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('accepted');
  };
  const ok = { FileName: 'a.pdf', Md5: 'a'.repeat(32), SizeInBytes: '5' };

  test.each([
    [{ ...ok, FileName: 'archive.zip' }, 'FileName must end in .pdf, .doc, .docx, .md, .txt, .ppt or .pptx (got ".zip").'],
    [{ ...ok, FileName: 'README' }, 'FileName must end in .pdf, .doc, .docx, .md, .txt, .ppt or .pptx (got (no extension)).'],
    [{ ...ok, Md5: 'xyz' }, `Md5 must be the file's MD5 digest as 32 hexadecimal characters (got "xyz").`],
    [{ ...ok, SizeInBytes: '0' }, 'SizeInBytes must be a whole number of bytes from 1 to 100000000 (got "0").'],
    [{ ...ok, SizeInBytes: 'ten' }, 'SizeInBytes must be a whole number of bytes from 1 to 100000000 (got "ten").'],
    [{ ...ok, SizeInBytes: 0 }, 'SizeInBytes must be a whole number of bytes from 1 to 100000000 (got 0).'],
  ])('%j -> %s', (body, message) => {
    expect(alibaba(body)).toBe(message);
    expect(alibaba(body)).not.toMatch(/\^|\$|\[/);
  });

  test.each([
    [{ ...ok, FileName: 'x'.repeat(125) + '.pdf' }, "The value of 'FileName' must have at most 128 characters."],
    [{ ...ok, FileName: '.md' }, "The value of 'FileName' must have at least 4 characters."],
    [{ ...ok, FileName: 1234 }, "The parameter 'FileName' must be of type string."],
    [{ ...ok, Md5: 5 }, "The parameter 'Md5' must be of type string."],
    [{ FileName: 'a.pdf', Md5: 'a'.repeat(32) }, "The required parameter 'SizeInBytes' is missing."],
    [{ Md5: 'a'.repeat(32), SizeInBytes: '5' }, "The required parameter 'FileName' is missing."],
  ])('a parameter with words for its pattern that breaks another rule is told that rule: %j -> %s', (body, message) => {
    expect(alibaba(body)).toBe(message);
  });
});
