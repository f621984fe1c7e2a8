import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Alibaba-style lease id: 32 lowercase hex, a dot, a 13-digit millisecond timestamp. */
export const ALIBABA_LEASE_ID = /^[0-9a-f]{32}\.[0-9]{13}$/;
/** Azure leases are addressed by a hash of their create-or-get scope: 32 lowercase hex. */
export const AZURE_LEASE_ID = /^[0-9a-f]{32}$/;
/** Alibaba leases always declare a content type (only the object can confirm it); Azure's never do. */
export const declaresContentType = (leaseId: string): boolean => ALIBABA_LEASE_ID.test(leaseId);
export const LEASE_ID = /^[0-9a-f]{32}(?:\.[0-9]{13})?$/;

export function newAlibabaLeaseId(nowMs: number): string {
  return `${randomBytes(16).toString('hex')}.${String(nowMs).padStart(13, '0')}`;
}

/**
 * The same scope always yields the same id, so create-or-get is a single conditional put.
 * Parts are length-prefixed so that no two different scopes can collide by concatenation.
 */
export function scopedLeaseId(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:${part}|`);
  return hash.digest('hex').slice(0, 32);
}

export const newGuid = (): string => randomUUID();
export const newAlibabaRequestId = (): string => randomUUID().toUpperCase();
