/**
 * S3 event records exactly as Amazon S3 hands them to Lambda, for the local mode, whose storage is
 * s3rver: its own records carry the raw key, a millisecond sequencer that repeats within one
 * millisecond and a malformed bucket ARN, so the emulator rebuilds every record here.
 * Shape: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
import { randomBytes } from 'node:crypto';
import type { S3EventRecord } from 'aws-lambda';

/** Characters `encodeURIComponent` keeps that application/x-www-form-urlencoded escapes (`*` stays). */
const FORM_EXTRA = /[!'()~]/g;

const encodeSegment = (segment: string): string =>
  encodeURIComponent(segment)
    .replace(/%20/g, '+')
    .replace(FORM_EXTRA, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The object key as S3 writes it into event notifications: form-URL-encoded ("red flower.jpg" becomes
 * "red+flower.jpg", a literal "+" becomes "%2B", UTF-8 bytes are %XX-escaped) except that "/" stays
 * literal, as it does in records from real S3. Handlers decode it with
 * `decodeURIComponent(key.replace(/\+/g, ' '))`.
 * Throws URIError for a string with a lone surrogate, which cannot be an S3 key (keys are UTF-8).
 */
export function encodeS3EventKey(key: string): string {
  return key.split('/').map(encodeSegment).join('/');
}

/** Real sequencers are 18 hex digits (e.g. "0055AED6DCD90281E5"). */
const SEQUENCER_WIDTH = 18;
/** Low bits left for events within one millisecond before the sequencer runs ahead of the clock. */
const SUB_MS_BITS = 16n;

/**
 * A sequencer generator: fixed-width uppercase hex, each value strictly greater than the previous one
 * (as a string and as a number), even for many calls in one millisecond or when the clock steps back.
 * Values are time-based, so a new generator (a restart) continues above earlier ones as long as the
 * clock has not gone back.
 */
export function createSequencer(): () => string {
  let last = -1n;
  return () => {
    const fromClock = BigInt(Date.now()) << SUB_MS_BITS;
    last = fromClock > last ? fromClock : last + 1n;
    return last.toString(16).toUpperCase().padStart(SEQUENCER_WIDTH, '0');
  };
}

export interface S3EventRecordInput {
  bucket: string;
  /** The raw (decoded) object key; it is encoded here. */
  key: string;
  size: number;
  /** With or without the surrounding quotes S3 uses in headers. */
  eTag: string;
  /** Without the "s3:" prefix, e.g. "ObjectCreated:Put" (the default). */
  eventName?: string;
  eventTime?: Date;
  region: string;
  sequencer: string;
  sourceIp?: string;
}

/** Stand-ins for the account ids real S3 puts in the record. */
const LOCAL_PRINCIPAL = 'A1LOCALS3EMULATOR';
const CONFIGURATION_ID = 'local-object-created';

export function toS3EventRecord(input: S3EventRecordInput): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region,
    eventTime: (input.eventTime ?? new Date()).toISOString(),
    eventName: input.eventName ?? 'ObjectCreated:Put',
    userIdentity: { principalId: `AWS:${LOCAL_PRINCIPAL}` },
    requestParameters: { sourceIPAddress: input.sourceIp ?? '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-id-2': randomBytes(57).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: CONFIGURATION_ID,
      bucket: {
        name: input.bucket,
        ownerIdentity: { principalId: LOCAL_PRINCIPAL },
        arn: `arn:aws:s3:::${input.bucket}`,
      },
      object: {
        key: encodeS3EventKey(input.key),
        size: input.size,
        eTag: input.eTag.replace(/"/g, '').toLowerCase(),
        sequencer: input.sequencer,
      },
    },
  };
}
