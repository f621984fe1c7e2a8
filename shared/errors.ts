/**
 * Domain errors. Handlers throw these; each contract maps them to its own wire format
 * in exactly one place (the `edge.ts` of shared/contracts/<name>/).
 */
/** Every error a contract maps to a 4xx or 5xx of its own; anything else is that contract's 500. */
export abstract class BrokerError extends Error {}

/** A request parameter broke a documented constraint. `target` names the parameter as the contract spells it. */
export class ValidationError extends BrokerError {
  constructor(
    message: string,
    readonly target: string | undefined,
    readonly location: 'path' | 'query' | 'body',
    readonly reason: 'missing' | 'invalid' | 'duplicate' = 'invalid',
  ) {
    super(message);
  }
}

export class MissingApiVersionError extends BrokerError {
  constructor() {
    super("The api-version query parameter (?api-version=) is required for all requests.");
  }
}

export class UnsupportedApiVersionError extends BrokerError {
  constructor(
    readonly apiVersion: string,
    readonly supported: readonly string[],
    readonly malformed: boolean,
  ) {
    super(
      malformed
        ? `The api-version '${apiVersion}' is invalid. The supported versions are '${supported.join(',')}'.`
        : `No registered resource provider found for API version '${apiVersion}'. The supported api-versions are '${supported.join(', ')}'.`,
    );
  }
}

export class UnsupportedMediaTypeError extends BrokerError {
}

export class MalformedBodyError extends BrokerError {
}

export class FileTooLargeError extends BrokerError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`The file size ${size} exceeds the limit of ${limit} bytes.`);
  }
}

export class LeaseNotFoundError extends BrokerError {
  constructor(readonly leaseId: string) {
    super(`No lease with id '${leaseId}' exists.`);
  }
}

/** A lease exists but is not in a state that allows what was asked (consume it, reuse it). */
export class LeaseStateError extends BrokerError {
  constructor(
    readonly leaseId: string,
    readonly status: 'PENDING' | 'REJECTED' | 'EXPIRED' | 'CONSUMED' | 'DELETED',
    message: string,
  ) {
    super(message);
  }
}

/** A resource of a contract (an Alibaba file, an Azure code version) that does not exist for this caller. */
export class ResourceNotFoundError extends BrokerError {
  constructor(
    readonly resource: 'file' | 'code-version',
    message: string,
  ) {
    super(message);
  }
}

/** The request conflicts with the current state of a resource (other than a lease's own state). */
export class ConflictError extends BrokerError {
}

/** Why a caller could not be authenticated; each contract names it in its own codes (401). */
export type AuthenticationFailure =
  | 'missing'
  | 'malformed'
  | 'signature'
  | 'unknown-key'
  | 'nonce-used'
  | 'expired'
  | 'invalid-token';

export class AuthenticationError extends BrokerError {
  constructor(
    readonly failure: AuthenticationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** An authenticated caller asked for a workspace, subscription or registry it is not granted (403). */
export class ForbiddenError extends BrokerError {
}

export class RateLimitedError extends BrokerError {
  constructor(readonly retryAfterSeconds: number) {
    super('Request was denied due to request throttling.');
  }
}

/**
 * A dependency (DynamoDB, S3, credentials) failed. `throttled` (throttling or the dependency saying it is
 * unavailable) becomes 503 with Retry-After; anything else a 500.
 */
export class DependencyError extends BrokerError {
  constructor(
    readonly dependency: 'dynamodb' | 's3' | 'credentials' | 'kms' | 'identity-provider' | 'secretsmanager',
    readonly throttled: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      throttled
        ? 'The service is temporarily unavailable. Retry the request later.'
        : 'The service failed to process the request. Retry the request; the lease was not created.',
      options,
    );
  }
}

/** Seconds a client should wait before retrying a throttled or unavailable call. */
export const RETRY_AFTER_SECONDS = 1;
