/**
 * S3 event sequencers order events for one key: pad the shorter with leading zeros, then compare as
 * strings. Sequencers of different keys are not comparable, and are never compared here.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padStart(width, '0');
  const pb = b.toUpperCase().padStart(width, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}
