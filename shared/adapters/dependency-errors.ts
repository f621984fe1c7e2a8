import { DependencyError } from '../errors.js';

const THROTTLING_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** Throttling, or the dependency saying it is unavailable: the client should retry later (503). */
export function isThrottling(error: unknown): boolean {
  const e = (error ?? {}) as SdkLikeError;
  return (
    THROTTLING_CODES.has(e.name ?? '') ||
    e.$retryable?.throttling === true ||
    e.$metadata?.httpStatusCode === 429 ||
    e.$metadata?.httpStatusCode === 503
  );
}

/** Errors that may heal by themselves: throttling, 5xx, timeouts, dropped connections. */
export function isTransient(error: unknown): boolean {
  if (isThrottling(error)) return true;
  const e = (error ?? {}) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  const name = e.name ?? '';
  const code = e.code ?? '';
  return (
    /Timeout|TimedOut|NetworkingError|InternalServerError|InternalError/.test(name) ||
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND'].includes(code)
  );
}

export function toDependencyError(dependency: DependencyError['dependency'], error: unknown): DependencyError {
  if (error instanceof DependencyError) return error;
  return new DependencyError(dependency, isThrottling(error), { cause: error });
}

/** A conditional write that found the item otherwise: an answer, not a failure. */
export const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
