import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { S3Event } from 'aws-lambda';
import { EVENT_RETRY_DELAYS_MS } from '../../local/event-pipeline.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import { postForm, startTestBroker, type TestBroker } from '../support/local-broker.js';

/**
 * Nothing on the event path is dropped: an S3 event whose handling fails with an error that cannot
 * heal (here a programming error in the store) is retried as Lambda retries it, then parked in the
 * local failed-events queue ($DATA_DIR/failed-upload-events.jsonl; FailedUploadEvents on AWS, which
 * alarms), from where it can be replayed once the bug is fixed.
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(() => broker.dispose());

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

interface Parked {
  readonly attempts: number;
  readonly error: string;
  readonly event: S3Event;
}
const parked = async (): Promise<Parked[]> =>
  (await readFile(broker.failedEventsFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Parked);

describe('an event-path programming error', () => {
  test('is retried, then parked with its event and error; the lease is left as it was, and the parked event replays', async () => {
    const bytes = Buffer.from('parked upload\n');
    const res = await postForm(broker.url, '/ws_parked/datacenter/category/default', { FileName: 'p.txt', Md5: md5(bytes), SizeInBytes: String(bytes.length) });
    expect(res.status).toBe(200);
    const leaseId = res.json.Data.FileUploadLeaseId as string;

    // A bug in the store, for this lease only: every attempt fails the same way.
    const store = broker.deps.store;
    const transition = store.transition.bind(store);
    let calls = 0;
    const callTimes: number[] = [];
    (store as { transition: typeof transition }).transition = async (id, ...rest) => {
      if (id !== leaseId) return transition(id, ...rest);
      calls++;
      callTimes.push(Date.now());
      throw new TypeError("Cannot read properties of undefined (reading 'status')");
    };
    try {
      const put = await fetch(res.json.Data.Param.Url, { method: 'PUT', headers: res.json.Data.Param.Headers, body: bytes });
      expect(put.status).toBe(200);
      await broker.eventsSettled();
    } finally {
      (store as { transition: typeof transition }).transition = transition;
    }

    const [entry, ...more] = await parked();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ attempts: 3, error: "TypeError: Cannot read properties of undefined (reading 'status')" });
    expect(decodeURIComponent(entry!.event.Records[0]!.s3.object.key)).toBe(`tmp/${leaseId}/p.txt`);
    // Each of the 3 attempts reached the store once (the fast path's conditional write).
    expect(calls).toBe(3);
    // Spaced as Lambda spaces its retries (there minutes, here seconds): a throttling spike is outlasted, not retried into.
    expect(EVENT_RETRY_DELAYS_MS[0]).toBeGreaterThanOrEqual(1_000);
    expect(callTimes[1]! - callTimes[0]!).toBeGreaterThanOrEqual(EVENT_RETRY_DELAYS_MS[0]! - 5);
    expect(callTimes[2]! - callTimes[1]!).toBeGreaterThanOrEqual(EVENT_RETRY_DELAYS_MS[1]! - 5);
    expect((await broker.deps.store.get(leaseId))!.status).toBe('PENDING');

    // The bug fixed, the parked event is replayed: the upload is recorded.
    expect(await s3UploadEventHandler(broker.deps)(entry!.event)).toEqual({ outcomes: ['uploaded'] });
    expect((await broker.deps.store.get(leaseId))!.status).toBe('UPLOADED');
  });
});
