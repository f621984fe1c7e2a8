/**
 * Retention backstops and schedules. The sweep is the primary deletion path (an object outlives its
 * retention by at most one sweep interval); the bucket lifecycle rules only catch what the sweep missed.
 */
export const LIFECYCLE = Object.freeze({
  /** The retention sweep's schedule in the cloud. */
  sweepIntervalMinutes: 5,
  /** Lifecycle expiration of anything under the temporary prefix. */
  tempObjectExpirationDays: 1,
  /** Abort incomplete multipart uploads after this many days. */
  abortIncompleteMultipartDays: 1,
});
