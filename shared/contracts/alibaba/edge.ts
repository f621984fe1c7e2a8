import { newAlibabaRequestId } from '../../ids.js';
import {
  BrokerError,
  DependencyError,
  FileTooLargeError,
  MalformedBodyError,
  RateLimitedError,
  RETRY_AFTER_SECONDS,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../errors.js';
import { json } from '../../http/respond.js';
import type { ContractEdge, HttpResult } from '../../http/types.js';

/** Alibaba's envelope: Code, Message, RequestId, Status (the HTTP status as a string), Success. */
function alibabaError(statusCode: number, code: string, message: string, requestId: string, headers: Record<string, string> = {}): HttpResult {
  return json(statusCode, { Code: code, Message: message, RequestId: requestId, Status: String(statusCode), Success: false }, headers);
}

const retryAfter = (seconds: number) => ({ 'retry-after': String(seconds) });

function toAlibabaError(error: unknown, requestId: string): HttpResult {
  if (!(error instanceof BrokerError)) {
    return alibabaError(500, 'InternalError', 'The request processing has failed due to some unknown error.', requestId);
  }
  if (error instanceof FileTooLargeError) return alibabaError(400, 'DataCenter.FileTooLarge', error.message, requestId);
  if (error instanceof ValidationError) {
    const code = error.reason === 'missing' ? 'MissingParameter' : 'InvalidParameter';
    return alibabaError(400, code, error.message, requestId);
  }
  if (error instanceof MalformedBodyError) return alibabaError(400, 'InvalidParameter', error.message, requestId);
  if (error instanceof UnsupportedMediaTypeError) return alibabaError(415, 'UnsupportedMediaType', error.message, requestId);
  if (error instanceof RateLimitedError) {
    return alibabaError(429, 'Throttling.User', error.message, requestId, retryAfter(error.retryAfterSeconds));
  }
  if (error instanceof DependencyError && error.throttled) {
    return alibabaError(503, 'ServiceUnavailable', error.message, requestId, retryAfter(RETRY_AFTER_SECONDS));
  }
  return alibabaError(500, 'InternalError', error.message, requestId);
}

export const alibabaEdge: ContractEdge = {
  name: 'alibaba-model-studio',
  newRequestId: newAlibabaRequestId,
  responseHeaders: (_event, requestId) => ({ 'x-acs-request-id': requestId }),
  errorResponse: toAlibabaError,
};
