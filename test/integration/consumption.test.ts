import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, getLease, postForm, postJson, readResponse, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { expectBrokerError, expectLeaseView } from '../support/schemas.js';
import { objectExists } from '../support/storage.js';

/**
 * The broker's own consumption route, what consumption does to retention, and the lease events: a
 * short retention, the sweep run by hand, events read back from $DATA_DIR/events.jsonl.
 */
let broker: TestBroker;
let failNextPublish = false;
let publishFailures = 0;
beforeAll(async () => {
  broker = await startTestBroker({
    env: { RETENTION_SECONDS: '3' },
    beforeLeaseEventPublish: () => {
      if (!failNextPublish) return;
      failNextPublish = false;
      publishFailures++;
      throw new Error('event bus unavailable');
    },
  });
});
afterAll(() => broker.dispose());

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

async function uploadedLease(name: string, body: string) {
  const res = await postForm(broker.url, '/ws_consume/datacenter/category/default', { FileName: `${name}.txt`, Md5: md5(body), SizeInBytes: String(body.length) });
  const { FileUploadLeaseId: leaseId, Param } = res.json.Data;
  expect((await fetch(Param.Url, { method: 'PUT', headers: Param.Headers, body })).status).toBe(200);
  const lease = await eventually(async () => {
    const l = (await getLease(broker.url, leaseId)).json;
    return l.status === 'UPLOADED' ? l : undefined;
  });
  return { leaseId: leaseId as string, key: `tmp/${leaseId}/${name}.txt`, lease };
}

const consume = async (leaseId: string, consumer?: string) =>
  readResponse(
    await fetch(`${broker.url}/leases/${leaseId}/consume`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(consumer ? { body: JSON.stringify({ consumer }) } : {}),
    }),
  );

interface EventLine {
  'detail-type': string;
  source: string;
  time: string;
  detail: { leaseId: string; status: string };
}
const eventsOf = (leaseId: string): EventLine[] =>
  readFileSync(broker.eventsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EventLine)
    .filter((e) => e.detail.leaseId === leaseId);

describe('POST /leases/{leaseId}/consume', () => {
  test('consumes for a named consumer, idempotently for that name; others get 409 in the broker format', async () => {
    const { leaseId } = await uploadedLease('named', 'consumed by a batch job');
    const first = await consume(leaseId, 'batch-job');
    expect(first.status).toBe(200);
    expectLeaseView(first.json);
    expect(first.json).toMatchObject({ status: 'CONSUMED', consumedBy: { kind: 'broker', id: 'batch-job' } });
    expect((await consume(leaseId, 'batch-job')).status).toBe(200);
    const other = await consume(leaseId, 'someone-else');
    expect([other.status, other.json.error.code]).toEqual([409, 'LeaseAlreadyConsumed']);
    expectBrokerError(other.json);

    const pending = await postForm(broker.url, '/ws_consume/datacenter/category/default', { FileName: 'p.txt', Md5: md5('x'), SizeInBytes: '1' });
    const notYet = await consume(pending.json.Data.FileUploadLeaseId);
    expect([notYet.status, notYet.json.error.code]).toEqual([409, 'LeaseNotUploaded']);
    expect((await consume('0'.repeat(32))).json.error.code).toBe('LeaseNotFound');
    const bad = await readResponse(await fetch(`${broker.url}/leases/${leaseId}/consume`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"consumer":"a b"}' }));
    expect([bad.status, bad.json.error.code]).toEqual([400, 'InvalidRequest']);
  });
});

describe('retention and events', () => {
  test('a consumed file outlives the retention and two sweeps; an unconsumed one is gone; one event per transition, in order', async () => {
    const kept = await uploadedLease('kept', 'kept for good');
    const dropped = await uploadedLease('dropped', 'thrown away');
    const consumed = await consume(kept.leaseId);
    expect(consumed.status).toBe(200);
    await broker.eventsSettled();
    const location = `files/${kept.leaseId}/kept.txt`;
    expect(await objectExists(broker, location)).toBe(true);
    // The temporary object stays while download URLs handed out for it may still be used (its retention at most).
    expect(await objectExists(broker, kept.key)).toBe(true);

    // Past both retentions (the consumed lease no longer has one), then two sweeps.
    const end = Math.max(Date.parse(kept.lease.retainUntil), Date.parse(dropped.lease.retainUntil));
    await eventually(async () => (Date.now() > end ? true : undefined), 30_000, 50);
    await broker.sweepNow();
    await broker.sweepNow();
    await broker.eventsSettled();

    const keptNow = (await getLease(broker.url, kept.leaseId)).json;
    expect(keptNow).toMatchObject({ status: 'CONSUMED', location: { key: location } });
    expect(keptNow.retainUntil).toBeUndefined();
    const download = await fetch(keptNow.downloadUrl);
    expect([download.status, await download.text()]).toEqual([200, 'kept for good']);

    expect(await objectExists(broker, kept.key)).toBe(false);

    const droppedNow = (await getLease(broker.url, dropped.leaseId)).json;
    expect(droppedNow.status).toBe('EXPIRED');
    expect(droppedNow.downloadUrl).toBeUndefined();
    expect(await objectExists(broker, dropped.key)).toBe(false);

    expect(eventsOf(kept.leaseId).map((e) => e['detail-type'])).toEqual(['Lease Uploaded', 'Lease Consumed']);
    expect(eventsOf(dropped.leaseId).map((e) => e['detail-type'])).toEqual(['Lease Uploaded', 'Lease Expired']);
    for (const e of eventsOf(kept.leaseId)) expect(e.source).toBe('upload-lease-broker');
    expect(eventsOf(kept.leaseId)[1]!.detail).toMatchObject({ status: 'CONSUMED', location: { key: location } });
  });

  test('the publisher fails once: the event is retried, not lost, and order holds', async () => {
    const { leaseId } = await uploadedLease('retried', 'retried event');
    await broker.eventsSettled();
    const before = publishFailures;
    failNextPublish = true;
    expect((await consume(leaseId)).status).toBe(200);
    await broker.eventsSettled();
    expect(publishFailures).toBe(before + 1);
    expect(eventsOf(leaseId).map((e) => e['detail-type'])).toEqual(['Lease Uploaded', 'Lease Consumed']);
    // The move happened after the failed publish too.
    expect(await objectExists(broker, `files/${leaseId}/retried.txt`)).toBe(true);
  });
});

describe('lease view', () => {
  test('an uploaded lease shows where its object is and a download URL the embedded S3 accepts', async () => {
    const { leaseId, key } = await uploadedLease('viewed', 'viewable');
    const view = (await getLease(broker.url, leaseId)).json;
    expectLeaseView(view);
    expect(view.location).toEqual({ bucket: broker.config.bucketName, key });
    // The URL ends with the upload's retention (3 s here), when the sweep may delete what it serves.
    const url = new URL(view.downloadUrl);
    const signedAt = Date.parse(url.searchParams.get('X-Amz-Date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    const seconds = Number(url.searchParams.get('X-Amz-Expires'));
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(broker.config.urlTtlSeconds);
    expect(signedAt + seconds * 1000).toBeLessThanOrEqual(Date.parse(view.retainUntil));
    expect(await (await fetch(view.downloadUrl)).text()).toBe('viewable');
    // A second signature makes it no URL we signed: refused as S3 refuses it, not a 500.
    const doubled = await fetch(`${view.downloadUrl}&X-Amz-Signature=${'0'.repeat(64)}`);
    expect([doubled.status, await doubled.text()]).toEqual([403, expect.stringContaining('<Code>SignatureDoesNotMatch</Code>')]);
    // The URL is for GET only.
    expect((await fetch(view.downloadUrl, { method: 'PUT', body: 'x' })).status).toBe(403);
    expect((await postJson(broker.url, `/leases/${leaseId}`, {})).status).toBe(404);
  });
});
