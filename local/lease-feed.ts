import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { LeaseChange } from '../shared/lease/changes.js';
import { needsSettling } from '../shared/lease/changes.js';
import { leaseEventFor, type LeaseEvent } from '../shared/lease/events.js';
import { settleLease, type SettleDeps } from '../shared/lease/settle.js';
import { log } from '../shared/log.js';

/**
 * What the lease table's stream drives on AWS, in the local mode: lease events (the EventBridge pipe)
 * appended to `$DATA_DIR/events.jsonl`, and the settler that moves consumed files and deletes deleted
 * ones. Each is a queue worked in order; a failed publish is retried until it succeeds, so a change
 * the store made is never dropped while the process runs (the queue lives in memory: what the stream's
 * 24-hour retention gives on AWS is not emulated across a crash).
 */
export interface LocalLeaseFeedOptions {
  readonly eventsFile: string;
  readonly bucket: string;
  readonly region: string;
  readonly settleDeps: SettleDeps;
  /** Also print each event line (npm start). */
  readonly print: boolean;
  /** Runs before an event is written; a throw is a failed publish (tests inject faults here). */
  readonly beforePublish?: ((event: LeaseEvent) => void | Promise<void>) | undefined;
}

export interface LocalLeaseFeed {
  onChange(change: LeaseChange): void;
  /** Resolves once every change fed so far (and any fed meanwhile) is published and settled. */
  drain(): Promise<void>;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SETTLE_ATTEMPTS = 3;

/** The EventBridge envelope, as a rule target would receive it. */
function envelope(event: LeaseEvent, region: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': event.detailType,
    source: event.source,
    account: '000000000000',
    time: event.time,
    region,
    resources: [],
    detail: event.detail,
  };
}

export function createLocalLeaseFeed(options: LocalLeaseFeedOptions): LocalLeaseFeed {
  let tail: Promise<void> = Promise.resolve();

  async function publish(event: LeaseEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.beforePublish?.(event);
        const line = JSON.stringify(envelope(event, options.region));
        await appendFile(options.eventsFile, `${line}\n`);
        if (options.print) console.log(`[lease event] ${line}`);
        return;
      } catch (error) {
        log.warn('lease event not published; retrying', { leaseId: event.detail.leaseId, attempt }, error);
        await delay(Math.min(2000, 25 * 2 ** attempt));
      }
    }
  }

  async function settle(change: LeaseChange): Promise<void> {
    for (let attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
      try {
        await settleLease(options.settleDeps, change.record);
        return;
      } catch (error) {
        // As on AWS: the lease stays due, so the sweep finishes what the retries could not.
        if (attempt === SETTLE_ATTEMPTS) log.error('lease settling failed; left to the sweep', { leaseId: change.record.leaseId }, error);
        else await delay(50 * attempt);
      }
    }
  }

  return {
    onChange(change) {
      const event = leaseEventFor(change.previous, change.record, { time: change.time, bucket: options.bucket });
      tail = tail.then(async () => {
        if (event) await publish(event);
        if (needsSettling(change.record)) await settle(change);
      });
    },
    async drain() {
      for (let seen: Promise<void> | undefined; seen !== tail; ) {
        seen = tail;
        await seen;
      }
    },
  };
}
