import { describe, expect, it, test } from '@jest/globals';
import { alibabaEdge } from '../../shared/contracts/alibaba/edge.js';
import { azureEdge } from '../../shared/contracts/azure/edge.js';
import { leasesEdge } from '../../shared/contracts/leases/edge.js';
import {
  BrokerError,
  DependencyError,
  FileTooLargeError,
  LeaseNotFoundError,
  MalformedBodyError,
  MissingApiVersionError,
  RateLimitedError,
  RETRY_AFTER_SECONDS,
  UnsupportedApiVersionError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../shared/errors.js';
import type { ContractEdge, HttpEvent, HttpResult } from '../../shared/http/types.js';
import { AZURE_API_VERSIONS } from '../../shared/schemas/azure.js';
import { expectAlibabaError, expectArmError, expectBrokerError } from '../support/schemas.js';

const REQUEST_ID = 'C0FFEE00-1111-4222-8333-444444444444';
const SECRET = 'db password is hunter2';

/** A plain Error whose message and stack must never reach a client. */
function internalError(): Error {
  const error = new Error(SECRET);
  error.stack = `Error: ${SECRET}\n    at handler (/var/task/index.js:1:1)`;
  return error;
}

/** One instance of every domain error class, plus the odd things a handler might throw. */
const ERRORS = {
  validationPath: () => new ValidationError("The value of 'workspaceName' is invalid.", 'workspaceName', 'path'),
  validationQuery: () => new ValidationError('The parameter api-version is given more than once.', 'api-version', 'query', 'duplicate'),
  validationBody: () => new ValidationError("The value of 'pendingUploadType' must be one of: None.", 'pendingUploadType', 'body'),
  validationNoTarget: () => new ValidationError('The request is invalid.', undefined, 'body'),
  validationMissing: () => new ValidationError("The required parameter 'FileName' is missing.", 'FileName', 'body', 'missing'),
  validationDuplicate: () => new ValidationError('The parameter Md5 is given twice.', 'Md5', 'body', 'duplicate'),
  missingApiVersion: () => new MissingApiVersionError(),
  unsupportedApiVersion: () => new UnsupportedApiVersionError('2020-01-01', AZURE_API_VERSIONS, false),
  malformedApiVersion: () => new UnsupportedApiVersionError('abc', AZURE_API_VERSIONS, true),
  unsupportedMediaType: () => new UnsupportedMediaTypeError("The content type 'text/plain' is not supported for this request."),
  malformedBody: () => new MalformedBodyError('The request body is not valid JSON.'),
  fileTooLarge: () => new FileTooLargeError(100_000_001, 100_000_000),
  leaseNotFound: () => new LeaseNotFoundError('0123456789abcdef0123456789abcdef'),
  rateLimited: () => new RateLimitedError(7),
  dependencyThrottled: () => new DependencyError('dynamodb', true, { cause: internalError() }),
  dependencyFailed: () => new DependencyError('s3', false, { cause: internalError() }),
  credentialsFailed: () => new DependencyError('credentials', false),
  plainError: () => internalError(),
  typeError: () => new TypeError(`Cannot read properties of undefined (reading '${SECRET}')`),
  thrownString: () => SECRET,
  thrownUndefined: () => undefined,
} satisfies Record<string, () => unknown>;
type ErrorName = keyof typeof ERRORS;

const event = (headers: Record<string, string> = {}): HttpEvent => ({ headers }) as unknown as HttpEvent;

function respond(edge: ContractEdge, name: ErrorName): { result: HttpResult; body: any } {
  const result = edge.errorResponse(ERRORS[name](), REQUEST_ID);
  expect(typeof result.body).toBe('string');
  expect(result.headers['content-type']).toMatch(/^application\/json/);
  return { result, body: JSON.parse(result.body!) };
}

/** No internals in any error body, whatever was thrown. */
function expectNoLeaks(result: HttpResult): void {
  const text = result.body ?? '';
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain('Error:');
  expect(text).not.toMatch(/\bat .*:\d+:\d+/);
  expect(text).not.toContain('/var/task');
  expect(text).not.toContain('stack');
  expect(text).not.toContain('cause');
}

/** Every domain error that describes the request (not a failing dependency) is the client's problem. */
const CLIENT_ERRORS: ErrorName[] = [
  'validationPath',
  'validationQuery',
  'validationBody',
  'validationNoTarget',
  'validationMissing',
  'validationDuplicate',
  'missingApiVersion',
  'unsupportedApiVersion',
  'malformedApiVersion',
  'unsupportedMediaType',
  'malformedBody',
  'fileTooLarge',
  'leaseNotFound',
  'rateLimited',
];
const ALL_ERRORS = Object.keys(ERRORS) as ErrorName[];

interface Expectation {
  status: number;
  code: string;
  /** ARM only: the `target` the error must carry (null: none). */
  target?: string | null;
  retryAfter?: string;
}

// ---------------------------------------------------------------------------------------------
// Azure (ARM ErrorResponse)
// ---------------------------------------------------------------------------------------------

const AZURE: Partial<Record<ErrorName, Expectation>> = {
  validationPath: { status: 400, code: 'InvalidParameter', target: 'workspaceName' },
  validationQuery: { status: 400, code: 'InvalidParameter', target: 'api-version' },
  validationBody: { status: 400, code: 'InvalidRequestContent', target: 'pendingUploadType' },
  validationNoTarget: { status: 400, code: 'InvalidRequestContent', target: null },
  validationMissing: { status: 400, code: 'InvalidRequestContent', target: 'FileName' },
  validationDuplicate: { status: 400, code: 'InvalidRequestContent', target: 'Md5' },
  missingApiVersion: { status: 400, code: 'MissingApiVersionParameter', target: 'api-version' },
  unsupportedApiVersion: { status: 400, code: 'NoRegisteredProviderFound', target: 'api-version' },
  malformedApiVersion: { status: 400, code: 'InvalidApiVersionParameter', target: 'api-version' },
  unsupportedMediaType: { status: 415, code: 'UnsupportedMediaType', target: null },
  malformedBody: { status: 400, code: 'InvalidRequestContent', target: null },
  dependencyThrottled: { status: 503, code: 'ServiceUnavailable', retryAfter: String(RETRY_AFTER_SECONDS) },
  dependencyFailed: { status: 500, code: 'InternalServerError' },
  credentialsFailed: { status: 500, code: 'InternalServerError' },
  plainError: { status: 500, code: 'InternalServerError' },
  typeError: { status: 500, code: 'InternalServerError' },
  thrownString: { status: 500, code: 'InternalServerError' },
  thrownUndefined: { status: 500, code: 'InternalServerError' },
};

describe('azureEdge.errorResponse', () => {
  test.each(Object.entries(AZURE) as [ErrorName, Expectation][])('%s -> %j', (name, expected) => {
    const { result, body } = respond(azureEdge, name);
    expectArmError(body);
    expect(result.statusCode).toBe(expected.status);
    expect(body.error.code).toBe(expected.code);
    expect(body.error.details).toEqual([]);
    expect(body.error.additionalInfo).toEqual([]);
    expect(body.error.message.length).toBeGreaterThan(0);
    if (expected.target === null) expect(body.error).not.toHaveProperty('target');
    else if (expected.target !== undefined) expect(body.error.target).toBe(expected.target);
    if (expected.retryAfter !== undefined) expect(result.headers['retry-after']).toBe(expected.retryAfter);
    else expect(result.headers).not.toHaveProperty('retry-after');
    expectNoLeaks(result);
  });

  it('carries the domain message for client errors', () => {
    expect(respond(azureEdge, 'malformedApiVersion').body.error.message).toBe(ERRORS.malformedApiVersion().message);
    expect(respond(azureEdge, 'validationBody').body.error.message).toBe(ERRORS.validationBody().message);
  });

  it('adds request-id headers and echoes the client request id (at most 128 characters)', () => {
    expect(azureEdge.responseHeaders(event(), REQUEST_ID)).toEqual({
      'x-ms-request-id': REQUEST_ID,
      'x-ms-correlation-request-id': REQUEST_ID,
    });
    const echoed = azureEdge.responseHeaders(event({ 'x-ms-client-request-id': 'client-1' }), REQUEST_ID);
    expect(echoed['x-ms-client-request-id']).toBe('client-1');
    const long = azureEdge.responseHeaders(event({ 'x-ms-client-request-id': 'x'.repeat(500) }), REQUEST_ID);
    expect(long['x-ms-client-request-id']).toBe('x'.repeat(128));
  });
});

// ---------------------------------------------------------------------------------------------
// Alibaba (Code, Message, RequestId, Status, Success)
// ---------------------------------------------------------------------------------------------

const ALIBABA: Partial<Record<ErrorName, Expectation>> = {
  validationPath: { status: 400, code: 'InvalidParameter' },
  validationQuery: { status: 400, code: 'InvalidParameter' },
  validationBody: { status: 400, code: 'InvalidParameter' },
  validationNoTarget: { status: 400, code: 'InvalidParameter' },
  validationMissing: { status: 400, code: 'MissingParameter' },
  validationDuplicate: { status: 400, code: 'InvalidParameter' },
  unsupportedMediaType: { status: 415, code: 'UnsupportedMediaType' },
  malformedBody: { status: 400, code: 'InvalidParameter' },
  fileTooLarge: { status: 400, code: 'DataCenter.FileTooLarge' },
  rateLimited: { status: 429, code: 'Throttling.User', retryAfter: '7' },
  dependencyThrottled: { status: 503, code: 'ServiceUnavailable', retryAfter: String(RETRY_AFTER_SECONDS) },
  dependencyFailed: { status: 500, code: 'InternalError' },
  credentialsFailed: { status: 500, code: 'InternalError' },
  plainError: { status: 500, code: 'InternalError' },
  typeError: { status: 500, code: 'InternalError' },
  thrownString: { status: 500, code: 'InternalError' },
  thrownUndefined: { status: 500, code: 'InternalError' },
};

describe('alibabaEdge.errorResponse', () => {
  test.each(Object.entries(ALIBABA) as [ErrorName, Expectation][])('%s -> %j', (name, expected) => {
    const { result, body } = respond(alibabaEdge, name);
    expectAlibabaError(body);
    expect(result.statusCode).toBe(expected.status);
    expect(body.Code).toBe(expected.code);
    expect(body.Status).toBe(String(result.statusCode));
    expect(body.Success).toBe(false);
    expect(body.RequestId).toBe(REQUEST_ID);
    expect(body.Message.length).toBeGreaterThan(0);
    if (expected.retryAfter !== undefined) expect(result.headers['retry-after']).toBe(expected.retryAfter);
    else expect(result.headers).not.toHaveProperty('retry-after');
    expectNoLeaks(result);
  });

  it('names the file size and the limit for DataCenter.FileTooLarge', () => {
    const { body } = respond(alibabaEdge, 'fileTooLarge');
    expect(body.Message).toContain('100000001');
    expect(body.Message).toContain('100000000');
  });

  it('x-acs-request-id is the request id', () => {
    expect(alibabaEdge.responseHeaders(event(), REQUEST_ID)).toEqual({ 'x-acs-request-id': REQUEST_ID });
  });

  it('request ids are upper-case UUIDs', () => {
    expect(alibabaEdge.newRequestId()).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  });
});

// ---------------------------------------------------------------------------------------------
// The broker's own routes (GET /leases/{leaseId})
// ---------------------------------------------------------------------------------------------

const LEASES: Partial<Record<ErrorName, Expectation>> = {
  validationPath: { status: 400, code: 'InvalidLeaseId' },
  leaseNotFound: { status: 404, code: 'LeaseNotFound' },
  dependencyThrottled: { status: 503, code: 'ServiceUnavailable', retryAfter: String(RETRY_AFTER_SECONDS) },
  dependencyFailed: { status: 500, code: 'InternalError' },
  credentialsFailed: { status: 500, code: 'InternalError' },
  plainError: { status: 500, code: 'InternalError' },
  typeError: { status: 500, code: 'InternalError' },
  thrownString: { status: 500, code: 'InternalError' },
  thrownUndefined: { status: 500, code: 'InternalError' },
};

describe('leasesEdge.errorResponse', () => {
  test.each(Object.entries(LEASES) as [ErrorName, Expectation][])('%s -> %j', (name, expected) => {
    const { result, body } = respond(leasesEdge, name);
    expectBrokerError(body);
    expect(result.statusCode).toBe(expected.status);
    expect(body.error.code).toBe(expected.code);
    expect(body.error.requestId).toBe(REQUEST_ID);
    if (expected.retryAfter !== undefined) expect(result.headers['retry-after']).toBe(expected.retryAfter);
    else expect(result.headers).not.toHaveProperty('retry-after');
    expectNoLeaks(result);
  });

  it('LeaseNotFound names the lease id', () => {
    expect(respond(leasesEdge, 'leaseNotFound').body.error.message).toContain('0123456789abcdef0123456789abcdef');
  });

  it('x-request-id is the request id', () => {
    expect(leasesEdge.responseHeaders(event(), REQUEST_ID)).toEqual({ 'x-request-id': REQUEST_ID });
  });
});

// ---------------------------------------------------------------------------------------------
// Every edge, every thrown value
// ---------------------------------------------------------------------------------------------

const EDGES: [string, ContractEdge, (body: unknown) => void][] = [
  ['azure', azureEdge, expectArmError],
  ['alibaba', alibabaEdge, expectAlibabaError],
  ['leases', leasesEdge, expectBrokerError],
];

describe.each(EDGES)('%s edge: every error class', (_name, edge, expectShape) => {
  test.each(ALL_ERRORS.map((n) => [n]))('%s -> the contract error shape, no internals', (name) => {
    const { result, body } = respond(edge, name);
    expectShape(body);
    expect(result.statusCode).toBeGreaterThanOrEqual(400);
    expect(result.statusCode).toBeLessThan(600);
    expectNoLeaks(result);
  });

  it('a failing dependency is a 5xx, and only a throttled one asks for a retry', () => {
    expect(respond(edge, 'dependencyThrottled').result.statusCode).toBe(503);
    expect(respond(edge, 'dependencyThrottled').result.headers['retry-after']).toBe('1');
    expect(respond(edge, 'dependencyFailed').result.statusCode).toBe(500);
    expect(respond(edge, 'dependencyFailed').result.headers).not.toHaveProperty('retry-after');
  });

  it('a plain Error is a 500 whose message is generic', () => {
    const { result, body } = respond(edge, 'plainError');
    expect(result.statusCode).toBe(500);
    expect(JSON.stringify(body)).not.toContain(SECRET);
  });

  // RateLimitedError is raised only by the Alibaba contract today; the mapping is shared by design
  // ("the one place errors get a wire format"), so a throttle must be a 429 with Retry-After everywhere.
  it('RateLimitedError -> 429 with Retry-After = retryAfterSeconds', () => {
    const { result, body } = respond(edge, 'rateLimited');
    expectShape(body);
    expect(result.statusCode).toBe(429);
    expect(result.headers['retry-after']).toBe('7');
  });

  it('not-found errors -> 404', () => {
    for (const name of ['leaseNotFound'] as const) {
      expect([name, respond(edge, name).result.statusCode]).toEqual([name, 404]);
    }
  });

  // Several classes are only raised by one contract today; whichever edge sees one must still answer
  // with a 4xx, never a 500 that blames the server for the client's request.
  it('every client-side domain error maps to a 4xx', () => {
    const wrong = CLIENT_ERRORS.map((name) => [name, respond(edge, name).result.statusCode] as const).filter(
      ([, status]) => status < 400 || status >= 500,
    );
    expect(wrong).toEqual([]);
  });

  it('every BrokerError subclass instance is recognised as one', () => {
    for (const name of CLIENT_ERRORS) expect(ERRORS[name]()).toBeInstanceOf(BrokerError);
  });
});
