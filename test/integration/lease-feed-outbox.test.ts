import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createLocalLeaseFeed, type LocalLeaseFeedOptions } from '../../local/lease-feed.js';
import type { LeaseRecord, LeaseStatus } from '../../shared/lease/model.js';

/**
 * The local lease feed's outbox: what the DynamoDB stream's retention gives on AWS. An event the store's
 * write produced survives a crash of the process before it was published, and is published exactly
 * once, in order, by the next start.
 */
const dir = mkdtempSync(join(tmpdir(), 'ulb-outbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function files(): Pick<LocalLeaseFeedOptions, 'eventsFile' | 'outboxFile'> {
  n++;
  return { eventsFile: join(dir, `events-${n}.jsonl`), outboxFile: join(dir, `outbox-${n}.jsonl`) };
}
const record = (leaseId: string, status: LeaseStatus) =>
  ({ leaseId, contract: 'azure-ml', scope: 's', objectKey: `tmp/${leaseId}/x`, status, createdAt: 0, urlExpiresAt: 1 }) as LeaseRecord;
/** A feed whose publishing never finishes while `stuck`: the process "dies" with its queue in memory. */
const feed = (paths: ReturnType<typeof files>, stuck: boolean) =>
  createLocalLeaseFeed({
    ...paths,
    bucket: 'b',
    region: 'us-east-1',
    settleDeps: {} as never,
    print: false,
    beforePublish: stuck ? () => new Promise<void>(() => undefined) : undefined,
  });
const published = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; 'detail-type': string; detail: { leaseId: string } });

describe('the local lease feed outbox', () => {
  test('events written but never published (a crash) are published by the next start, in order, once', async () => {
    const paths = files();
    const crashed = feed(paths, true);
    crashed.onChange({ previous: 'PENDING', record: record('a', 'UPLOADED'), time: 1 });
    crashed.onChange({ previous: 'UPLOADED', record: record('a', 'CONSUMED'), time: 2 });
    crashed.onChange({ previous: 'PENDING', record: record('b', 'PENDING'), time: 3 }); // not an event: nothing in the outbox
    const restarted = feed(paths, false);
    expect(await restarted.recover()).toBe(2);
    const lines = published(paths.eventsFile);
    expect(lines.map((l) => [l.detail.leaseId, l['detail-type']])).toEqual([
      ['a', 'Lease Uploaded'],
      ['a', 'Lease Consumed'],
    ]);
    // The outbox is empty again, and a second start publishes nothing twice.
    expect(readFileSync(paths.outboxFile, 'utf8')).toBe('');
    expect(await feed(paths, false).recover()).toBe(0);
    expect(published(paths.eventsFile)).toHaveLength(2);
  });

  test('an event published before the crash is not published again; a line the crash tore is ended first', async () => {
    const paths = files();
    const first = feed(paths, false);
    first.onChange({ previous: 'PENDING', record: record('c', 'UPLOADED'), time: 1 });
    await first.drain();
    const [uploaded] = published(paths.eventsFile);
    // The crash: a second event in the outbox, half of its line written to events.jsonl.
    const crashed = feed(paths, true);
    crashed.onChange({ previous: 'UPLOADED', record: record('c', 'EXPIRED'), time: 2 });
    writeFileSync(paths.eventsFile, `${readFileSync(paths.eventsFile, 'utf8')}{"version":"0","id":"tor`);
    expect(await feed(paths, false).recover()).toBe(1);
    const text = readFileSync(paths.eventsFile, 'utf8').split('\n');
    expect(text[0]).toContain(uploaded!.id);
    expect(text[1]).toBe('{"version":"0","id":"tor');
    expect(JSON.parse(text[2]!)).toMatchObject({ 'detail-type': 'Lease Expired', detail: { leaseId: 'c' } });
  });

  test('a running feed publishes each event under its outbox id', async () => {
    const paths = files();
    const running = feed(paths, false);
    running.onChange({ previous: 'PENDING', record: record('d', 'REJECTED'), time: 1 });
    await running.drain();
    const outboxIds = readFileSync(paths.outboxFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).id);
    expect(published(paths.eventsFile).map((e) => e.id)).toEqual(outboxIds);
  });
});
