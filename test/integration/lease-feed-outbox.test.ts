import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createLocalLeaseFeed, type LocalLeaseFeedOptions } from '../../local/lease-feed.js';
import { DependencyError } from '../../shared/errors.js';
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
const readMany = (store: ReadonlyMap<string, LeaseRecord>, ids: readonly string[]) =>
  new Map(ids.flatMap((id) => (store.has(id) ? [[id, store.get(id)!] as const] : [])));
/** A feed whose publishing never finishes while `stuck`: the process "dies" with its queue in memory. */
const feed = (paths: ReturnType<typeof files>, stuck: boolean, store: ReadonlyMap<string, LeaseRecord> = new Map()) =>
  createLocalLeaseFeed({
    ...paths,
    bucket: 'b',
    region: 'us-east-1',
    settleDeps: { store: { getMany: async (ids: readonly string[]) => readMany(store, ids) }, clock: { now: () => 1_000_000 } } as never,
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

  test('a move the store wrote but a kill -9 kept from the outbox is published from the store at the next start, once', async () => {
    const paths = files();
    // What the store holds when the broker starts again.
    const store = new Map<string, LeaseRecord>([
      ['e', { ...record('e', 'UPLOADED'), uploadedAt: 5_000 }],
      ['f', record('f', 'PENDING')],
      ['g', { ...record('g', 'EXPIRED'), expiredAt: 7_000 }],
      ['h', { ...record('h', 'CONSUMED'), consumedAt: 3_000 }],
      ['r', { ...record('r', 'REJECTED') }],
    ]);
    // h: moved, recorded and published before the crash.
    const before = feed(paths, false, store);
    before.beforeMove('h', 'CONSUMED');
    before.onChange({ previous: 'UPLOADED', record: store.get('h')!, time: 3_000 });
    await before.drain();
    const crashed = feed(paths, true, store);
    crashed.beforeMove('e', 'UPLOADED'); // written; the kill came before its outbox line
    crashed.beforeMove('f', 'UPLOADED'); // never written: the store still says PENDING
    crashed.beforeMove('g', 'EXPIRED'); // written and recorded: its outbox event covers it
    crashed.onChange({ previous: 'UPLOADED', record: store.get('g')!, time: 7_000 });
    crashed.beforeMove('h', 'DELETED'); // its condition failed: the store still says CONSUMED
    crashed.beforeMove('r', 'REJECTED'); // written, lost; REJECTED keeps no time of its own

    const reads: string[][] = [];
    const counting = { getMany: async (ids: readonly string[]) => (reads.push([...ids]), readMany(store, ids)) };
    const restarted = createLocalLeaseFeed({ ...paths, bucket: 'b', region: 'us-east-1', settleDeps: { store: counting, clock: { now: () => 1_000_000 } } as never, print: false });
    expect(await restarted.recover()).toBe(3);
    // One batch read, of the leases whose last outbox line is a move (g's event follows its move: not read).
    expect(reads).toEqual([['e', 'f', 'h', 'r']]);
    const lines = published(paths.eventsFile) as unknown as { 'detail-type': string; time: string; detail: { leaseId: string; status: string } }[];
    expect(lines.map((l) => [l.detail.leaseId, l['detail-type'], l.time])).toEqual([
      ['h', 'Lease Consumed', new Date(3_000).toISOString()],
      ['g', 'Lease Expired', new Date(7_000).toISOString()],
      ['e', 'Lease Uploaded', new Date(5_000).toISOString()],
      ['r', 'Lease Rejected', new Date(1_000_000).toISOString()],
    ]);
    expect(lines.find((l) => l.detail.leaseId === 'e')!.detail.status).toBe('UPLOADED');
    // Nothing twice at the start after.
    expect(await feed(paths, false, store).recover()).toBe(0);
    expect(published(paths.eventsFile)).toHaveLength(4);
  });

  test('a throttled store at start is waited out (the soak found a start that died on it); another error fails the start', async () => {
    const paths = files();
    const crashed = feed(paths, true);
    crashed.beforeMove('t', 'UPLOADED');
    let reads = 0;
    const throttledTwice = {
      getMany: async () => {
        if (++reads <= 2) throw new DependencyError('dynamodb', true);
        return new Map([['t', { ...record('t', 'UPLOADED'), uploadedAt: 9_000 }]]);
      },
    };
    const restart = (store: object) =>
      createLocalLeaseFeed({ ...paths, bucket: 'b', region: 'us-east-1', settleDeps: { store, clock: { now: () => 0 } } as never, print: false });
    expect(await restart(throttledTwice).recover()).toBe(1);
    expect(reads).toBe(3);
    expect(published(paths.eventsFile).map((e) => e['detail-type'])).toEqual(['Lease Uploaded']);

    const other = files();
    feed(other, true).beforeMove('u', 'UPLOADED');
    const broken = { getMany: async () => Promise.reject(new TypeError('a bug')) };
    await expect(
      createLocalLeaseFeed({ ...other, bucket: 'b', region: 'us-east-1', settleDeps: { store: broken, clock: { now: () => 0 } } as never, print: false }).recover(),
    ).rejects.toThrow('a bug');
  });

  test('a running feed publishes each event under its outbox id', async () => {
    const paths = files();
    const running = feed(paths, false);
    running.onChange({ previous: 'PENDING', record: record('d', 'REJECTED'), time: 1 });
    await running.drain();
    const outboxIds = readFileSync(paths.outboxFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).id);
    expect(outboxIds).toHaveLength(1);
    expect(published(paths.eventsFile).map((e) => e.id)).toEqual(outboxIds);
  });
});
