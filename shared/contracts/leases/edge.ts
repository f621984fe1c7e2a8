import { randomUUID } from 'node:crypto';
import { BrokerError, DependencyError, LeaseNotFoundError, RETRY_AFTER_SECONDS, ValidationError } from '../../errors.js';
import { json } from '../../http/respond.js';
import type { ContractEdge, HttpResult } from '../../http/types.js';

function brokerError(statusCode: number, code: string, message: string, requestId: string, headers: Record<string, string> = {}): HttpResult {
  return json(statusCode, { error: { code, message, requestId } }, headers);
}

function toBrokerError(error: unknown, requestId: string): HttpResult {
  if (error instanceof ValidationError) return brokerError(400, 'InvalidLeaseId', error.message, requestId);
  if (error instanceof LeaseNotFoundError) return brokerError(404, 'LeaseNotFound', error.message, requestId);
  if (error instanceof DependencyError && error.throttled) {
    return brokerError(503, 'ServiceUnavailable', error.message, requestId, { 'retry-after': String(RETRY_AFTER_SECONDS) });
  }
  const message = error instanceof BrokerError ? error.message : 'The server encountered an internal error.';
  return brokerError(500, 'InternalError', message, requestId);
}

/** The broker's own routes speak a small JSON error format of their own. */
export const leasesEdge: ContractEdge = {
  name: 'leases',
  newRequestId: () => randomUUID(),
  responseHeaders: (_event, requestId) => ({ 'x-request-id': requestId }),
  errorResponse: toBrokerError,
};
