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
 * Records every ObjectCreated record. A record that fails fails the invocation, after the other records
 * are done: Lambda retries it (processing is idempotent, so the records already done are no-ops), and
 * after its retries parks it in the failed-events queue, which alarms. Nothing is dropped: a failure
 * that cannot heal (a programming error, a refused request) is a failed invocation too, so the event is
 * kept there, not lost with a log line.
 */
export function s3UploadEventHandler(deps: UploadDeps) {
  return async (event: S3Event): Promise<{ outcomes: UploadOutcome[] }> => {
    const outcomes: UploadOutcome[] = [];
    const failures: unknown[] = [];
    for (const record of event.Records ?? []) {
      if (!record.eventName?.startsWith('ObjectCreated:')) continue;
      const object = toObjectCreated(record);
      try {
        const outcome = await recordUpload(deps, object);
        outcomes.push(outcome);
        log.info('upload event', { key: object.key, sequencer: object.sequencer, outcome });
      } catch (error) {
        failures.push(error);
        if (mayHeal(error)) log.warn('upload event failed; the invocation will be retried', { key: object.key }, error);
        else log.error('upload event could not be processed; the invocation fails, to be retried and then parked', { key: object.key }, error);
      }
    }
    // One that may heal first: a retry is what it needs (the parked rest is looked at by hand).
    if (failures.length) throw failures.find(mayHeal) ?? failures[0];
    return { outcomes };
  };
}
