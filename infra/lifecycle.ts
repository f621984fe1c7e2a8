/**
 * Retention backstops and schedules. The sweep is the primary deletion path (an object outlives its
 * retention by at most one sweep interval); the bucket lifecycle rule only catches what the sweep missed.
 */
export const LIFECYCLE = Object.freeze({
  /** The retention sweep's schedule in the cloud. */
  sweepIntervalMinutes: 5,
  /**
   * How far past the retention the backstop may first act: S3 lifecycle counts whole days from the
   * object's creation, and the sweep (every 5 minutes, possibly behind after an outage) must always
   * get there first.
   */
  backstopMarginSeconds: 3600,
  /** S3 lifecycle expiration is a whole number of days; ten years is far beyond any temporary file. */
  maxBackstopDays: 3650,
  /** Abort incomplete multipart uploads after this many days. */
  abortIncompleteMultipartDays: 1,
});

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
}

/**
 * Days after which the lifecycle rule deletes a temporary object: the retention plus the margin,
 * rounded up to whole days, so it can never delete a file the broker still promises to keep
 * (12 h -> 1 day, 3 days -> 4 days).
 */
export function tempObjectExpirationDays(retentionSeconds: number): number {
  if (!Number.isInteger(retentionSeconds) || retentionSeconds < 1) {
    throw new LifecycleError(`retention must be a positive whole number of seconds, got ${retentionSeconds}`);
  }
  const days = Math.ceil((retentionSeconds + LIFECYCLE.backstopMarginSeconds) / 86_400);
  if (days > LIFECYCLE.maxBackstopDays) {
    throw new LifecycleError(
      `a retention of ${retentionSeconds} s needs a lifecycle backstop of ${days} days; at most ${LIFECYCLE.maxBackstopDays} days are supported`,
    );
  }
  return days;
}
