import { LEASE_ID } from './ids.js';

/**
 * Object keys are made by the server: TEMP_PREFIX + leaseId + "/" + a sanitised name.
 * The client's name is only a hint for humans browsing the bucket; the lease id decides ownership.
 */
export const TEMP_PREFIX = 'tmp/';

const MAX_NAME_BYTES = 200;
const FALLBACK_NAME = 'upload';

/** Keeps letters, digits and `._-` of any script; everything else becomes `_`. */
export function sanitiseFileName(name: string): string {
  let out = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._]+/, '');
  while (Buffer.byteLength(out) > MAX_NAME_BYTES) out = Array.from(out).slice(0, -1).join('');
  return out.replace(/^[._]+/, '') || FALLBACK_NAME;
}

export function objectKeyFor(leaseId: string, fileName: string): string {
  return `${TEMP_PREFIX}${leaseId}/${sanitiseFileName(fileName)}`;
}

/** The lease id a (decoded) key belongs to, or undefined when the key is not one of ours. */
export function leaseIdFromKey(key: string): string | undefined {
  if (!key.startsWith(TEMP_PREFIX)) return undefined;
  const rest = key.slice(TEMP_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const leaseId = rest.slice(0, slash);
  return LEASE_ID.test(leaseId) ? leaseId : undefined;
}
