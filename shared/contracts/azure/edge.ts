import { randomUUID } from 'node:crypto';
import {
  BrokerError,
  DependencyError,
  MalformedBodyError,
  MissingApiVersionError,
  RETRY_AFTER_SECONDS,
  UnsupportedApiVersionError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../errors.js';
import { json } from '../../http/respond.js';
import type { ContractEdge, HttpResult } from '../../http/types.js';

/** ARM ErrorResponse: { error: { code, message, target?, details, additionalInfo } }. */
function armError(statusCode: number, code: string, message: string, target?: string, headers: Record<string, string> = {}): HttpResult {
  return json(
    statusCode,
    { error: { code, message, ...(target !== undefined ? { target } : {}), details: [], additionalInfo: [] } },
    headers,
  );
}

function toArmError(error: unknown): HttpResult {
  if (!(error instanceof BrokerError)) {
    return armError(500, 'InternalServerError', 'The server encountered an internal error. Retry the request.');
  }
  if (error instanceof MissingApiVersionError) return armError(400, 'MissingApiVersionParameter', error.message, 'api-version');
  if (error instanceof UnsupportedApiVersionError) {
    return armError(400, error.malformed ? 'InvalidApiVersionParameter' : 'NoRegisteredProviderFound', error.message, 'api-version');
  }
  if (error instanceof ValidationError) {
    return armError(400, error.location === 'body' ? 'InvalidRequestContent' : 'InvalidParameter', error.message, error.target);
  }
  if (error instanceof MalformedBodyError) return armError(400, 'InvalidRequestContent', error.message);
  if (error instanceof UnsupportedMediaTypeError) return armError(415, 'UnsupportedMediaType', error.message);
  if (error instanceof DependencyError && error.throttled) {
    return armError(503, 'ServiceUnavailable', error.message, undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) });
  }
  return armError(500, 'InternalServerError', error.message);
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
