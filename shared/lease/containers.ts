import { DependencyError } from '../errors.js';
import { isContainerKey } from './keys.js';
import { DELETE_BATCH, type ListedObject, type ObjectStore } from './ports.js';

/**
 * The object work of a container lease (keys.ts containerKeyFor): its blobs are whatever is under its
 * prefix, read from S3 when needed rather than tracked per blob in the record, so no answer depends on
 * which blob events have arrived. These helpers take a lease's key or prefix alike, so the sweep and
 * the settlement handle both kinds of lease the same way.
 */

/** Blobs a listing may return at once in a copy: S3 copies are independent, a few in flight at a time. */
const COPIES_IN_FLIGHT = 8;

/** The keys a lease's `objectKey` (or `storedKey`) stands for now: itself, or everything under the prefix. */
async function keysOf(objects: Pick<ObjectStore, 'list'>, keyOrPrefix: string): Promise<string[]> {
  return isContainerKey(keyOrPrefix) ? (await objects.list(keyOrPrefix)).map((o) => o.key) : [keyOrPrefix];
}

/**
 * Deletes what each key or prefix stands for, in DeleteObjects batches; returns the given keys or
 * prefixes of which something could not be deleted. A request-level failure throws (nothing is known).
 */
export async function deleteUnder(objects: Pick<ObjectStore, 'list' | 'deleteMany'>, keysOrPrefixes: readonly string[]): Promise<Set<string>> {
  const ownerOf = new Map<string, string>();
  for (const given of keysOrPrefixes) for (const key of await keysOf(objects, given)) ownerOf.set(key, given);
  const keys = [...ownerOf.keys()];
  const failed = new Set<string>();
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    for (const key of await objects.deleteMany(keys.slice(i, i + DELETE_BATCH))) failed.add(ownerOf.get(key) ?? key);
  }
  return failed;
}

/** Deletes what a key or prefix stands for (one object: one DeleteObject), or throws a retryable DependencyError when anything stays. */
export async function deleteAll(objects: Pick<ObjectStore, 'list' | 'delete' | 'deleteMany'>, keyOrPrefix: string): Promise<void> {
  if (!isContainerKey(keyOrPrefix)) return objects.delete(keyOrPrefix);
  if ((await deleteUnder(objects, [keyOrPrefix])).size > 0) {
    throw new DependencyError('s3', true, { cause: new Error(`objects under ${keyOrPrefix} could not all be deleted`) });
  }
}

/** Total bytes of a listing. */
export const totalSize = (blobs: readonly ListedObject[]): number => blobs.reduce((sum, b) => sum + b.size, 0);

/**
 * The blobs a container held when it was consumed: stored at or before `consumedAt` (S3 times have
 * whole seconds, so a blob stored in the same second counts). A blob put later through a still-valid
 * SAS is not part of what was consumed, and goes with the temporary prefix.
 */
export const consumedBlobs = (blobs: readonly ListedObject[], consumedAt: number): ListedObject[] =>
  blobs.filter((b) => b.lastModified <= consumedAt);

/**
 * Copies a consumed container's blobs from `fromPrefix` to `toPrefix`, each only while it still has the
 * bytes listed. False when one is gone or changed since (the move cannot be completed as consumed).
 */
export async function copyContainer(objects: Pick<ObjectStore, 'list' | 'copy'>, fromPrefix: string, toPrefix: string, consumedAt: number): Promise<boolean> {
  const blobs = consumedBlobs(await objects.list(fromPrefix), consumedAt);
  let ok = true;
  for (let i = 0; i < blobs.length; i += COPIES_IN_FLIGHT) {
    const copied = await Promise.all(
      blobs.slice(i, i + COPIES_IN_FLIGHT).map((b) => objects.copy(b.key, toPrefix + b.key.slice(fromPrefix.length), b.eTag.replace(/"/g, '').toLowerCase())),
    );
    ok &&= copied.every(Boolean);
  }
  return ok;
}
