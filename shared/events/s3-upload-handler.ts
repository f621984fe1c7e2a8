import { unescape } from 'node:querystring';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { isTransient } from '../adapters/dependency-errors.js';
import { DependencyError } from '../errors.js';
import { log } from '../log.js';
import { recordUpload, type ObjectCreated, type UploadDeps, type UploadOutcome } from '../lease/uploads.js';

/** S3 sends keys form-encoded: '+' for space, %XX for the rest. */
export const decodeS3Key = (key: string): string => unescape(key.replace(/\+/g, ' '));

export function toObjectCreated(record: S3EventRecord): ObjectCreated {
  const { object } = record.s3;
  return {
    key: decodeS3Key(object.key),
    size: object.size,
    eTag: object.eTag,
    sequencer: object.sequencer,
    eventTime: Date.parse(record.eventTime),
  };
}

const mayHeal = (error: unknown) => (error instanceof DependencyError ? isTransient(error.cause) || error.throttled : isTransient(error));

/**
 * Records every ObjectCreated record. Errors that may heal fail the invocation (after the other records
 * are done) so Lambda retries; processing is idempotent, so retried records are no-ops. Anything else is
 * logged once and does not poison the batch.
 */
export function s3UploadEventHandler(deps: UploadDeps) {
  return async (event: S3Event): Promise<{ outcomes: UploadOutcome[] }> => {
    const outcomes: UploadOutcome[] = [];
    let retryable: unknown;
    for (const record of event.Records ?? []) {
      if (!record.eventName?.startsWith('ObjectCreated:')) continue;
      const object = toObjectCreated(record);
      try {
        const outcome = await recordUpload(deps, object);
        outcomes.push(outcome);
        log.info('upload event', { key: object.key, sequencer: object.sequencer, outcome });
      } catch (error) {
        if (mayHeal(error)) {
          retryable ??= error;
          log.warn('upload event failed; the invocation will be retried', { key: object.key }, error);
        } else {
          log.error('upload event could not be processed', { key: object.key }, error);
        }
      }
    }
    if (retryable) throw retryable;
    return { outcomes };
  };
}
