import { randomUUID } from 'node:crypto';
import { AuthenticationError, LeaseNotFoundError, LeaseStateError, ValidationError } from '../../errors.js';
import { errorStatus, publicMessage, retryAfterHeader } from '../../http/error-status.js';
import { json } from '../../http/respond.js';
import type { ContractEdge, HttpResult } from '../../http/types.js';

const BROKER_CODES: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
  500: 'InternalError',
};

const STATE_CODES: Record<LeaseStateError['status'], string> = {
  PENDING: 'LeaseNotUploaded',
  REJECTED: 'LeaseRejected',
  EXPIRED: 'LeaseExpired',
  CONSUMED: 'LeaseAlreadyConsumed',
  DELETED: 'LeaseAlreadyConsumed',
};

function brokerCode(error: unknown, statusCode: number): string {
  if (error instanceof ValidationError) return error.location === 'path' ? 'InvalidLeaseId' : 'InvalidRequest';
  if (error instanceof LeaseNotFoundError) return 'LeaseNotFound';
  if (error instanceof AuthenticationError) return 'Unauthenticated';
  if (error instanceof LeaseStateError) return STATE_CODES[error.status];
  return BROKER_CODES[statusCode] ?? 'InternalError';
}

function toBrokerError(error: unknown, requestId: string): HttpResult {
  const status = errorStatus(error);
  const message = publicMessage(error, 'The server encountered an internal error.');
  const challenge: Record<string, string> = error instanceof AuthenticationError ? { 'www-authenticate': 'Bearer realm="upload-lease-broker", ACS3-HMAC-SHA256' } : {};
  return json(status.statusCode, { error: { code: brokerCode(error, status.statusCode), message, requestId } }, { ...retryAfterHeader(status), ...challenge });
}

/** The broker's own routes speak a small JSON error format of their own. */
export const leasesEdge: ContractEdge = {
  name: 'leases',
  newRequestId: () => randomUUID(),
  responseHeaders: (_event, requestId) => ({ 'x-request-id': requestId }),
  errorResponse: toBrokerError,
};
