import { randomUUID } from 'node:crypto';
import {
  AuthenticationError,
  FileTooLargeError,
  ForbiddenError,
  MalformedBodyError,
  MissingApiVersionError,
  ResourceNotFoundError,
  UnsupportedApiVersionError,
  ValidationError,
} from '../../errors.js';
import { errorStatus, publicMessage, retryAfterHeader } from '../../http/error-status.js';
import { json } from '../../http/respond.js';
import type { ContractEdge, HttpResult } from '../../http/types.js';

/** ARM's error codes by status, where no more specific code applies. */
const ARM_CODES: Record<number, string> = {
  400: 'BadRequest',
  404: 'NotFound',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
  500: 'InternalServerError',
};

function armCode(error: unknown, statusCode: number): { code: string; target?: string } {
  if (error instanceof MissingApiVersionError) return { code: 'MissingApiVersionParameter', target: 'api-version' };
  if (error instanceof UnsupportedApiVersionError) {
    return { code: error.malformed ? 'InvalidApiVersionParameter' : 'NoRegisteredProviderFound', target: 'api-version' };
  }
  if (error instanceof ValidationError) {
    return { code: error.location === 'body' ? 'InvalidRequestContent' : 'InvalidParameter', ...(error.target ? { target: error.target } : {}) };
  }
  if (error instanceof MalformedBodyError || error instanceof FileTooLargeError) return { code: 'InvalidRequestContent' };
  if (error instanceof ResourceNotFoundError) return { code: 'ResourceNotFound' };
  if (error instanceof AuthenticationError) return { code: error.failure === 'missing' ? 'AuthenticationFailed' : 'InvalidAuthenticationToken' };
  if (error instanceof ForbiddenError) return { code: 'AuthorizationFailed' };
  return { code: ARM_CODES[statusCode] ?? 'InternalServerError' };
}

/** As ARM answers a 401: the scheme, and why a token that was sent is refused. */
function wwwAuthenticate(error: unknown): Record<string, string> {
  if (!(error instanceof AuthenticationError)) return {};
  const challenge = error.failure === 'missing' ? 'Bearer realm="upload-lease-broker"' : 'Bearer realm="upload-lease-broker", error="invalid_token"';
  return { 'www-authenticate': challenge };
}

/** ARM ErrorResponse: { error: { code, message, target?, details, additionalInfo } }. */
function toArmError(error: unknown): HttpResult {
  const status = errorStatus(error);
  const { code, target } = armCode(error, status.statusCode);
  const message = publicMessage(error, 'The server encountered an internal error. Retry the request.');
  return json(
    status.statusCode,
    { error: { code, message, ...(target !== undefined ? { target } : {}), details: [], additionalInfo: [] } },
    { ...retryAfterHeader(status), ...wwwAuthenticate(error) },
  );
}

export const azureEdge: ContractEdge = {
  name: 'azure-ml',
  newRequestId: () => randomUUID(),
  responseHeaders(event, requestId) {
    const clientRequestId = event.headers?.['x-ms-client-request-id'];
    return {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': requestId,
      ...(clientRequestId ? { 'x-ms-client-request-id': clientRequestId.slice(0, 128) } : {}),
    };
  },
  errorResponse: (error) => toArmError(error),
};
