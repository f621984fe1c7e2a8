import {
  AuthenticationError,
  FileTooLargeError,
  ForbiddenError,
  LeaseNotFoundError,
  LeaseStateError,
  ResourceNotFoundError,
  ValidationError,
  type AuthenticationFailure,
} from '../../errors.js';
import { errorStatus, publicMessage, retryAfterHeader } from '../../http/error-status.js';
import { json } from '../../http/respond.js';
import type { ContractEdge, HttpResult } from '../../http/types.js';
import { newAlibabaRequestId } from '../../ids.js';

/** Alibaba's error codes by status, where no more specific code applies. */
const ALIBABA_CODES: Record<number, string> = {
  400: 'InvalidParameter',
  404: 'NotFound',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  429: 'Throttling.User',
  503: 'ServiceUnavailable',
  500: 'InternalError',
};

/** Why a lease cannot be added (AddFile). */
const LEASE_STATE_CODES: Record<LeaseStateError['status'], string> = {
  PENDING: 'InvalidLease.NotUploaded',
  REJECTED: 'InvalidLease.UploadRejected',
  EXPIRED: 'InvalidLease.Expired',
  CONSUMED: 'InvalidLease.AlreadyUsed',
  DELETED: 'InvalidLease.AlreadyUsed',
};

/** Alibaba's codes for a refused signature. */
const AUTHENTICATION_CODES: Record<AuthenticationFailure, string> = {
  missing: 'IncompleteSignature',
  malformed: 'IncompleteSignature',
  signature: 'SignatureDoesNotMatch',
  'unknown-key': 'InvalidAccessKeyId.NotFound',
  'nonce-used': 'SignatureNonceUsed',
  expired: 'InvalidTimeStamp.Expired',
  'invalid-token': 'InvalidAuthorization',
};

function alibabaCode(error: unknown, statusCode: number): string {
  if (error instanceof AuthenticationError) return AUTHENTICATION_CODES[error.failure];
  if (error instanceof ForbiddenError) return 'Forbidden.AccessDenied';
  if (error instanceof FileTooLargeError) return 'DataCenter.FileTooLarge';
  if (error instanceof LeaseNotFoundError) return 'InvalidLease.NotFound';
  if (error instanceof LeaseStateError) return LEASE_STATE_CODES[error.status];
  if (error instanceof ResourceNotFoundError) return 'DataCenter.FileNotFound';
  if (error instanceof ValidationError && error.reason === 'missing') return 'MissingParameter';
  return ALIBABA_CODES[statusCode] ?? 'InternalError';
}

/** Alibaba's envelope: Code, Message, RequestId, Status (the HTTP status as a string), Success. */
function toAlibabaError(error: unknown, requestId: string): HttpResult {
  const status = errorStatus(error);
  const body = {
    Code: alibabaCode(error, status.statusCode),
    Message: publicMessage(error, 'The request processing has failed due to some unknown error.'),
    RequestId: requestId,
    Status: String(status.statusCode),
    Success: false,
  };
  return json(status.statusCode, body, retryAfterHeader(status));
}

export const alibabaEdge: ContractEdge = {
  name: 'alibaba-model-studio',
  newRequestId: newAlibabaRequestId,
  responseHeaders: (_event, requestId) => ({ 'x-acs-request-id': requestId }),
  errorResponse: toAlibabaError,
};
