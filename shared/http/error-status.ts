import {
  AuthenticationError,
  BrokerError,
  ConflictError,
  DependencyError,
  FileTooLargeError,
  ForbiddenError,
  LeaseNotFoundError,
  LeaseStateError,
  MalformedBodyError,
  MissingApiVersionError,
  RateLimitedError,
  ResourceNotFoundError,
  RETRY_AFTER_SECONDS,
  UnsupportedApiVersionError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';

export interface ErrorStatus {
  readonly statusCode: number;
  /** Set for 429 and 503: the client should wait this long. */
  readonly retryAfterSeconds?: number;
}

/**
 * The HTTP status of every domain error, the same for all contracts; each contract only chooses its
 * own codes and envelope. Anything that is not a BrokerError is a 500.
 */
export function errorStatus(error: unknown): ErrorStatus {
  if (!(error instanceof BrokerError)) return { statusCode: 500 };
  if (
    error instanceof ValidationError ||
    error instanceof MalformedBodyError ||
    error instanceof MissingApiVersionError ||
    error instanceof UnsupportedApiVersionError ||
    error instanceof FileTooLargeError
  ) {
    return { statusCode: 400 };
  }
  if (error instanceof UnsupportedMediaTypeError) return { statusCode: 415 };
  if (error instanceof AuthenticationError) return { statusCode: 401 };
  if (error instanceof ForbiddenError) return { statusCode: 403 };
  if (error instanceof LeaseNotFoundError || error instanceof ResourceNotFoundError) return { statusCode: 404 };
  if (error instanceof LeaseStateError || error instanceof ConflictError) return { statusCode: 409 };
  if (error instanceof RateLimitedError) return { statusCode: 429, retryAfterSeconds: error.retryAfterSeconds };
  if (error instanceof DependencyError && error.throttled) return { statusCode: 503, retryAfterSeconds: RETRY_AFTER_SECONDS };
  return { statusCode: 500 };
}

export const retryAfterHeader = (status: ErrorStatus): Record<string, string> =>
  status.retryAfterSeconds !== undefined ? { 'retry-after': String(status.retryAfterSeconds) } : {};

/** The message a client may see: ours for domain errors, a generic one for anything unexpected. */
export const publicMessage = (error: unknown, fallback: string): string => (error instanceof BrokerError ? error.message : fallback);
