/**
 * From an upload to its lease event: the embedded S3 emits an event, the S3 event handler records the
 * upload (retried as Lambda retries an async invocation), and the store's change goes to the lease feed.
 */
import type { S3Event } from 'aws-lambda';
import { s3UploadEventHandler } from '../shared/events/s3-upload-handler.js';
import type { UploadDeps } from '../shared/lease/uploads.js';
import type { Emulators } from './emulators.js';
import { parkFailedEvent } from './failed-events.js';
import { holdEvents, type HeldEvents } from './held-events.js';
import type { LocalLeaseFeed } from './lease-feed.js';

/**
 * Lambda's async invocation retries a failed event twice, about one and two minutes later. Here the
 * same two retries come after seconds, so a developer sees a parked event while watching, yet far
 * enough apart to outlast a DynamoDB throttling spike (retried 100 and 200 ms apart, the soak's
 * 3-second spikes parked events that Lambda would have delivered).
 */
export const EVENT_RETRY_DELAYS_MS: readonly number[] = [1_000, 3_000];
const EVENT_ATTEMPTS = EVENT_RETRY_DELAYS_MS.length + 1;

export interface EventPipeline {
  readonly emulators: Pick<Emulators, 'eventsSettled'>;
  readonly heldEvents: HeldEvents<S3Event>;
  readonly leaseFeed: LocalLeaseFeed;
}

/**
 * The S3 event handler, each event held back `delayMs` (S3_EVENT_DELAY_MS), retried on failure, and
 * parked in `failedEventsFile` (the failed-events queue) when it still fails.
 */
export function handleS3Events(deps: UploadDeps, delayMs: number, failedEventsFile: string): HeldEvents<S3Event> {
  const s3Events = s3UploadEventHandler(deps);
  return holdEvents<S3Event>(delayMs, (event) => withRetries(s3Events, event, failedEventsFile));
}

async function withRetries(handle: (event: S3Event) => Promise<unknown>, event: S3Event, failedEventsFile: string): Promise<void> {
  for (let attempt = 1; attempt <= EVENT_ATTEMPTS; attempt++) {
    try {
      await handle(event);
      return;
    } catch (error) {
      if (attempt === EVENT_ATTEMPTS) await parkFailedEvent(failedEventsFile, event, attempt, error);
      else await new Promise((r) => setTimeout(r, EVENT_RETRY_DELAYS_MS[attempt - 1]));
    }
  }
}

/**
 * Resolves when every S3 event so far has been handled, and every lease change so far published and settled.
 * Each stage can cause work for the other (an upload's transition; a settled move's copy): until both are still.
 */
export async function settleEvents(pipeline: EventPipeline): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await pipeline.emulators.eventsSettled();
    await pipeline.heldEvents.settled();
    await pipeline.leaseFeed.drain();
  }
}
