/** JSON Schemas of the broker's own routes: GET /leases/{leaseId}, POST /leases/{leaseId}/consume. */
import { CONSUMER_KINDS, LEASE_CONTRACTS, LEASE_STATUSES, REJECT_REASONS } from '../lease/model.js';

export const leasePathSchema = {
  $id: 'LeasePath',
  type: 'object',
  required: ['leaseId'],
  properties: { leaseId: { type: 'string', pattern: '^[0-9a-f]{32}(?:\\.[0-9]{13})?$' } },
} as const;

const dateTime = { type: 'string', format: 'date-time' } as const;

export const leaseViewSchema = {
  $id: 'Lease',
  type: 'object',
  additionalProperties: false,
  required: ['leaseId', 'contract', 'status', 'createdAt', 'urlExpiresAt'],
  properties: {
    leaseId: { type: 'string' },
    contract: { enum: LEASE_CONTRACTS },
    status: { enum: LEASE_STATUSES },
    createdAt: dateTime,
    urlExpiresAt: dateTime,
    fileName: { type: 'string' },
    declaredSize: { type: 'integer' },
    contentType: { type: 'string' },
    uploadedAt: dateTime,
    size: { type: 'integer' },
    retainUntil: dateTime,
    rejectReason: { enum: REJECT_REASONS },
    expiredAt: dateTime,
    consumedAt: dateTime,
    consumedBy: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'id'],
      properties: { kind: { enum: CONSUMER_KINDS }, id: { type: 'string' } },
    },
    deletedAt: dateTime,
    location: {
      type: 'object',
      additionalProperties: false,
      required: ['bucket', 'key'],
      properties: { bucket: { type: 'string' }, key: { type: 'string' } },
    },
    downloadUrl: { type: 'string', format: 'uri' },
    blobs: {
      description: 'A container lease (Azure, Blob front): every blob under it now, with its size; `size` is their total.',
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'size'],
        properties: { name: { type: 'string' }, size: { type: 'integer' }, downloadUrl: { type: 'string', format: 'uri' } },
      },
    },
  },
} as const;

/** POST /leases/{leaseId}/consume: who consumes (the same name again gets the same answer). */
export const consumeRequestSchema = {
  $id: 'ConsumeLeaseRequest',
  type: 'object',
  additionalProperties: false,
  properties: { consumer: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:/@-]+$' } },
} as const;

/** Errors of the broker's own routes (GET /leases, unknown routes in local mode). */
export const brokerErrorSchema = {
  $id: 'BrokerError',
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message', 'requestId'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
    },
  },
} as const;
