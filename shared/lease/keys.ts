import { LEASE_ID } from '../ids.js';

/**
 * Object keys are made by the server: TEMP_PREFIX + leaseId + "/" + a sanitised name.
 * The client's name is only a hint for humans browsing the bucket; the lease id decides ownership.
 */
export const TEMP_PREFIX = 'tmp/';

const MAX_NAME_BYTES = 200;
const FALLBACK_NAME = 'upload';

/** Cuts a string to at most `max` UTF-8 bytes without splitting a code point. */
function truncateBytes(s: string, max: number): string {
  const bytes = Buffer.from(s);
  if (bytes.length <= max) return s;
  return bytes.subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
}

/**
 * Keeps letters (with their combining marks), digits and `._-` of any script; everything else
 * becomes `_`. Long names keep their extension.
 */
export function sanitiseFileName(name: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[\p{M}._]+/u, '');
  // An extension is the last dot and at most 15 characters after it (cleaned never starts with a dot).
  const ext = /\.[^.]{0,15}$/.exec(cleaned)?.[0] ?? '';
  const stem = cleaned.slice(0, cleaned.length - ext.length);
  // The stem starts with a letter or digit (or '-') and keeps at least 152 bytes, so the result does too.
  return truncateBytes(stem, MAX_NAME_BYTES - Buffer.byteLength(ext)) + ext || FALLBACK_NAME;
}

export function objectKeyFor(leaseId: string, fileName: string): string {
  return `${TEMP_PREFIX}${leaseId}/${sanitiseFileName(fileName)}`;
}

/**
 * A container lease (Azure's in blob-front mode) owns a prefix, not one object: its `objectKey` is
 * `tmp/<leaseId>/`, and every blob under it is its upload (containers.ts).
 */
export const containerKeyFor = (leaseId: string): string => `${TEMP_PREFIX}${leaseId}/`;

/** Whether a lease's key names a container (a prefix) rather than one object. */
export const isContainerKey = (key: string): boolean => key.endsWith('/');

/** The lease id a (decoded) key belongs to, or undefined when the key is not one of ours. */
export function leaseIdFromKey(key: string): string | undefined {
  if (!key.startsWith(TEMP_PREFIX)) return undefined;
  const rest = key.slice(TEMP_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash === -1) return undefined;
  const leaseId = rest.slice(0, slash);
  return LEASE_ID.test(leaseId) ? leaseId : undefined;
}
