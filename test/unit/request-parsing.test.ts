import { describe, expect, test } from '@jest/globals';
import Ajv from 'ajv';
import { parseAlibabaRequest } from '../../shared/contracts/alibaba/request.js';
import { parseAzureRequest } from '../../shared/contracts/azure/request.js';
import { MalformedBodyError, UnsupportedApiVersionError, UnsupportedMediaTypeError, ValidationError } from '../../shared/errors.js';
import { bodyText, header, jsonDepth, MAX_JSON_CHARS, MAX_JSON_DEPTH, mediaKind, parseJsonObject, requireMediaKind, singleValued } from '../../shared/http/request.js';
import type { HttpEvent } from '../../shared/http/types.js';
import { validated } from '../../shared/validation.js';
import type { PrecompiledValidator } from '../../shared/generated/validators.js';
import { AJV_OPTIONS } from '../../scripts/build-validators.js';
import { httpEvent } from '../support/events.js';

/**
 * The request-reading helpers and the messages clients see. The contracts' schemas themselves are
 * covered case by case in validation.test.ts; this pins the shared pieces underneath.
 */
const event = (o: { headers?: Record<string, string>; body?: string; query?: string; isBase64Encoded?: boolean; path?: Record<string, string> } = {}): HttpEvent => ({
  ...httpEvent({ routeKey: 'POST /x', rawPath: '/x', pathParameters: o.path ?? {}, rawQueryString: o.query ?? '', headers: o.headers ?? {}, ...(o.body !== undefined ? { body: o.body } : {}) }),
  isBase64Encoded: o.isBase64Encoded ?? false,
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('body helpers', () => {
  test('header reads the normalised (lower-case) name, and an event without headers has none', () => {
    expect(header(event({ headers: { 'content-type': 'text/plain' } }), 'content-type')).toBe('text/plain');
    expect(header({ ...event(), headers: undefined } as unknown as HttpEvent, 'content-type')).toBeUndefined();
  });

  test('bodyText: absent or null is empty, base64 is decoded, text is as sent', () => {
    expect(bodyText(event())).toBe('');
    expect(bodyText({ ...event(), body: null } as unknown as HttpEvent)).toBe('');
    expect(bodyText(event({ body: Buffer.from('a=ü').toString('base64'), isBase64Encoded: true }))).toBe('a=ü');
    expect(bodyText(event({ body: 'plain' }))).toBe('plain');
  });

  test.each([
    [undefined, 'none'],
    ['', 'none'],
    ['application/json', 'json'],
    [' Application/JSON ; charset=utf-8', 'json'],
    ['application/vnd.api+json', 'json'],
    ['application/merge-patch+json; charset=utf-8', 'json'],
    ['xapplication/vnd+json', 'other'],
    ['application/vnd+jsonx', 'other'],
    ['application/x-www-form-urlencoded; charset=UTF-8', 'form'],
    ['text/plain', 'other'],
  ])('mediaKind(%j) is %s', (type, kind) => {
    expect(mediaKind(event(type === undefined ? {} : { headers: { 'content-type': type } }))).toBe(kind);
  });

  test('parseJsonObject drops __proto__ and constructor keys, so no body reaches a prototype', () => {
    const parsed = parseJsonObject('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"a":1}', 'request body');
    expect(parsed).toStrictEqual({ a: 1 });
    expect(Object.keys(parsed!)).toEqual(['a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('parseJsonObject: null is null; not JSON, or not an object, is a MalformedBodyError naming what was read', () => {
    expect(parseJsonObject('null', 'request body')).toBeNull();
    const notJson = thrown(() => parseJsonObject('{', 'request body'));
    expect(notJson).toBeInstanceOf(MalformedBodyError);
    expect(notJson.message).toBe('The request body is not valid JSON.');
    for (const text of ['[1]', '"text"', '3', 'true']) {
      const notObject = thrown(() => parseJsonObject(text, 'thing'));
      expect(notObject).toBeInstanceOf(MalformedBodyError);
      expect(notObject.message).toBe('The thing must be a JSON object.');
    }
  });

  test('jsonDepth counts nesting in one pass, not brackets inside strings (escaped quotes included)', () => {
    expect(jsonDepth('{}')).toBe(1);
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[{"b":[1,{"c":{}}]}]}')).toBe(6);
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[[[["}')).toBe(1);
    expect(jsonDepth('{"a":"\\\\"}[[[')).toBe(3);
    expect(jsonDepth('[[]][[[]]]')).toBe(3);
  });

  test('parseJsonObject refuses, before parsing, a body larger or deeper than any of these APIs takes', () => {
    const atDepth = (n: number) => `{"a":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    expect(jsonDepth(atDepth(MAX_JSON_DEPTH))).toBe(MAX_JSON_DEPTH);
    expect(parseJsonObject(atDepth(MAX_JSON_DEPTH), 'request body')).toHaveProperty('a');
    const deep = thrown(() => parseJsonObject(atDepth(MAX_JSON_DEPTH + 1), 'request body'));
    expect(deep).toBeInstanceOf(MalformedBodyError);
    expect(deep.message).toBe(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
    // 3,000,000 levels: refused for its size, never scanned nor parsed.
    const huge = thrown(() => parseJsonObject('['.repeat(3_000_000), 'request body'));
    expect(huge).toBeInstanceOf(MalformedBodyError);
    expect(huge.message).toBe(`The request body is larger than ${MAX_JSON_CHARS} characters.`);
    const atSize = `{"a":"${'x'.repeat(MAX_JSON_CHARS - 8)}"}`;
    expect(atSize).toHaveLength(MAX_JSON_CHARS);
    expect(parseJsonObject(atSize, 'request body')).toMatchObject({ a: expect.any(String) });
    expect(thrown(() => parseJsonObject(`${atSize} `, 'request body'))).toBeInstanceOf(MalformedBodyError);
  });

  test('singleValued: a name given twice with the same value is fine, with different values refused', () => {
    expect(singleValued(new URLSearchParams('a=1&a=1&b=2&c=3'), ['a', 'b', 'z'], 'query')).toStrictEqual({ a: '1', b: '2' });
    const error = thrown(() => singleValued(new URLSearchParams('a=1&a=2'), ['a'], 'body'));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ message: 'The parameter a is given more than once with different values.', target: 'a', location: 'body', reason: 'duplicate' });
  });

  test('requireMediaKind names the content type it refuses', () => {
    expect(() => requireMediaKind('json', ['json', 'form'], 'application/json')).not.toThrow();
    const error = thrown(() => requireMediaKind('other', ['json'], 'text/csv'));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.message).toBe("The content type 'text/csv' is not supported for this request.");
    expect(thrown(() => requireMediaKind('none', ['json'], undefined)).message).toBe("The content type '' is not supported for this request.");
  });
});

describe('validated: one message per schema keyword, naming the parameter', () => {
  const ajv = new Ajv.default({ ...AJV_OPTIONS });
  const validator = ajv.compile({
    type: 'object',
    required: ['must'],
    properties: {
      must: { type: 'string' },
      typed: { type: 'string' },
      patterned: { type: 'string', pattern: '^x+$' },
      short: { type: 'string', minLength: 2 },
      long: { type: 'string', maxLength: 3 },
      choice: { type: 'string', enum: ['x', 'y'] },
      count: { type: 'integer', minimum: 1 },
    },
  });
  const check = validator as unknown as PrecompiledValidator;
  const run = (data: unknown) => thrown(() => validated<{ type: 'object' }>(check, data, 'body')) as ValidationError;

  test.each([
    [{}, "The required parameter 'must' is missing.", 'must', 'missing'],
    [{ must: 'm', typed: 1 }, "The parameter 'typed' must be of type string.", 'typed', 'invalid'],
    [{ must: 'm', patterned: 'y' }, "The value of 'patterned' does not match the required pattern ^x+$.", 'patterned', 'invalid'],
    [{ must: 'm', short: 'a' }, "The value of 'short' must have at least 2 characters.", 'short', 'invalid'],
    [{ must: 'm', long: 'abcd' }, "The value of 'long' must have at most 3 characters.", 'long', 'invalid'],
    [{ must: 'm', choice: 'z' }, "The value of 'choice' must be one of: x, y.", 'choice', 'invalid'],
    [{ must: 'm', count: 0 }, "The value of 'count' is invalid.", 'count', 'invalid'],
    ['not an object', "The parameter 'request' must be of type object.", undefined, 'invalid'],
    [null, "The parameter 'request' must be of type object.", undefined, 'invalid'],
  ])('%j', (data, message, target, reason) => {
    const error = run(data);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ message, target, location: 'body', reason });
  });

  test('a parameter named like an Object.prototype member gets the plain message, not something inherited', () => {
    const named = ajv.compile({ type: 'object', properties: { toString: { type: 'string', pattern: '^x+$' } } }) as unknown as PrecompiledValidator;
    const error = thrown(() => validated<{ type: 'object' }>(named, { toString: 'y' }, 'body'));
    expect(error).toMatchObject({ message: "The value of 'toString' does not match the required pattern ^x+$.", target: 'toString' });
  });

  test('valid data is returned as it is', () => {
    const data = { must: 'm', count: 2 };
    expect(validated<{ type: 'object' }>(check, data, 'query')).toBe(data);
  });

  test('a validator that fails without saying why still gives a clear message', () => {
    const silent = Object.assign(() => false, { errors: null });
    const error = thrown(() => validated<{ type: 'object' }>(silent, {}, 'path')) as ValidationError;
    expect(error).toMatchObject({ message: "The value of 'request' is invalid.", target: undefined, location: 'path', reason: 'invalid' });
  });
});

describe('contract request parsing: the paths validation.test.ts does not take', () => {
  const alibabaPath = { WorkspaceId: 'ws_1', CategoryId: 'default' };
  const MD5 = '19657c391f6c70bcea63c154d8606bb3';
  const azurePath = { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws1', name: 'c', version: '1' };
  const apiVersion = 'api-version=2025-09-01';

  test('Alibaba: a JSON body is read, numbers as numbers', () => {
    const req = parseAlibabaRequest(event({ path: alibabaPath, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ FileName: 'a.pdf', Md5: MD5, SizeInBytes: 10 }) }));
    expect(req).toStrictEqual({ workspaceId: 'ws_1', categoryId: 'default', fileName: 'a.pdf', md5: MD5, sizeInBytes: 10 });
  });

  test.each([
    ['Alibaba', () => parseAlibabaRequest(event({ path: alibabaPath, headers: { 'content-type': 'text/csv' }, body: 'a,b' }))],
    ['Azure', () => parseAzureRequest(event({ path: azurePath, query: apiVersion, headers: { 'content-type': 'text/csv' }, body: 'a,b' }))],
  ])('%s: a body of another media type is refused, naming the type sent', (_c, parse) => {
    const error = thrown(parse);
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.message).toBe("The content type 'text/csv' is not supported for this request.");
  });

  test('Alibaba: a blank body with everything in the query needs no content type', () => {
    const req = parseAlibabaRequest(event({ path: alibabaPath, body: ' \n', query: `FileName=a.pdf&Md5=${MD5}&SizeInBytes=10` }));
    expect(req.sizeInBytes).toBe(10);
  });

  test('Alibaba: a body that is not JSON says so; one parameter twice in the query, or in query and body, is refused', () => {
    expect(thrown(() => parseAlibabaRequest(event({ path: alibabaPath, headers: { 'content-type': 'application/json' }, body: '{' }))).message).toBe(
      'The request body is not valid JSON.',
    );
    const twice = thrown(() => parseAlibabaRequest(event({ path: alibabaPath, query: 'FileName=a.pdf&FileName=b.pdf' })));
    expect(twice).toMatchObject({ target: 'FileName', location: 'query', reason: 'duplicate' });
    const both = thrown(() =>
      parseAlibabaRequest(event({ path: alibabaPath, query: 'SizeInBytes=10', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `FileName=a.pdf&Md5=${MD5}&SizeInBytes=11` })),
    );
    expect(both).toMatchObject({
      message: 'The parameter SizeInBytes is given in the query and the body with different values.',
      target: 'SizeInBytes',
      location: 'body',
      reason: 'duplicate',
    });
  });

  test('Alibaba: a size below one byte is refused with the documented range', () => {
    const error = thrown(() => parseAlibabaRequest(event({ path: alibabaPath, query: `FileName=a.pdf&Md5=${MD5}&SizeInBytes=0` })));
    expect(error).toMatchObject({ message: 'SizeInBytes must be a whole number of bytes from 1 to 100000000 (got "0").', target: 'SizeInBytes', location: 'body' });
  });

  test('Azure: a JSON body without a content type is read; a malformed one says so', () => {
    expect(parseAzureRequest(event({ path: azurePath, query: apiVersion, body: '{"pendingUploadId":"p1"}' })).pendingUploadId).toBe('p1');
    expect(thrown(() => parseAzureRequest(event({ path: azurePath, query: apiVersion, body: '{' }))).message).toBe('The request body is not valid JSON.');
  });

  test('Azure: no pendingUploadId, null or empty all mean "make one"', () => {
    for (const body of [undefined, '{}', '{"pendingUploadId":null}', '{"pendingUploadId":""}']) {
      expect(parseAzureRequest(event({ path: azurePath, query: apiVersion, ...(body ? { body } : {}) })).pendingUploadId).toBeUndefined();
    }
  });

  test('Azure: an api-version with anything around the date is malformed, not merely unsupported', () => {
    for (const v of ['v2025-01-01', '2025-01-01x', '2025-01-01-previewx']) {
      const error = thrown(() => parseAzureRequest(event({ path: azurePath, query: `api-version=${v}` })));
      expect(error).toBeInstanceOf(UnsupportedApiVersionError);
      expect(error).toMatchObject({ malformed: true });
    }
    expect(thrown(() => parseAzureRequest(event({ path: azurePath, query: 'api-version=2024-01-01-preview' })))).toMatchObject({ malformed: false });
    expect(thrown(() => parseAzureRequest(event({ path: azurePath, query: 'api-version=2025-09-01&api-version=2024-01-01' })))).toMatchObject({
      target: 'api-version',
      location: 'query',
      reason: 'duplicate',
    });
  });

  test('Azure: a route that carries neither a workspace nor a registry is a wiring error, not a client error', () => {
    const { workspaceName: _w, ...noParent } = azurePath;
    const error = thrown(() => parseAzureRequest(event({ path: noParent, query: apiVersion })));
    expect(error).not.toBeInstanceOf(ValidationError);
    expect(error.message).toBe('route without workspaceName or registryName');
  });
});
