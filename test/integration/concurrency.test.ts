import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createSequencer, toS3EventRecord } from '../../local/s3-event-records.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import { API_VERSION, AZURE_PATH, postForm, postJson, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { recordSection } from '../support/reliability-report.js';
import { allLeases, putDirect } from '../support/storage.js';

let broker: TestBroker;
const figures: Record<string, unknown> = {};
beforeAll(async () => {
  broker = await startTestBroker({ deliverS3Events: false });
});
afterAll(async () => {
  recordSection('concurrency', figures);
  await broker.dispose();
});

describe('concurrency', () => {
  test('50 parallel identical Azure create-or-get requests: exactly one lease, all name the same blob', async () => {
    const path = `${AZURE_PATH({ name: 'parallel-50' })}?api-version=${API_VERSION}`;
    const results = await Promise.all(Array.from({ length: 50 }, () => postJson(broker.url, path, { pendingUploadId: 'p50' })));
    const statuses = results.map((r) => r.status);
    const blobs = new Set(results.map((r) => r.json.blobReferenceForConsumption.blobUri));
    const leases = (await allLeases(broker)).filter((l) => l.pendingUploadId === 'p50');
    figures.azureCreateOrGet = { parallel: 50, ok: statuses.filter((s) => s === 200).length, distinctBlobs: blobs.size, leases: leases.length };
    expect(statuses).toEqual(Array(50).fill(200));
    expect(blobs.size).toBe(1);
    expect(leases).toHaveLength(1);
  });

  test('200 parallel Alibaba requests: 200 distinct leases', async () => {
    const form = { FileName: 'parallel.pdf', Md5: '19657c391f6c70bcea63c154d8606bb3', SizeInBytes: '1000' };
    const results = await Promise.all(Array.from({ length: 200 }, () => postForm(broker.url, '/ws_parallel/datacenter/category/default', form)));
    const ids = new Set(results.map((r) => r.json.Data?.FileUploadLeaseId));
    const leases = (await allLeases(broker)).filter((l) => l.scope === 'ws_parallel/default');
    figures.alibabaParallel = { parallel: 200, ok: results.filter((r) => r.status === 200).length, distinctLeases: ids.size, stored: leases.length };
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(ids.size).toBe(200);
    expect(leases).toHaveLength(200);
  });

  test('20 concurrent deliveries of the same S3 event: one transition', async () => {
    const body = 'raced';
    const md5 = createHash('md5').update(body).digest('hex');
    const res = await postForm(broker.url, '/ws_race/datacenter/category/default', { FileName: 'race.txt', Md5: md5, SizeInBytes: String(body.length) });
    const leaseId = res.json.Data.FileUploadLeaseId;
    const key = `tmp/${leaseId}/race.txt`;
    await putDirect(broker, key, body, 'text/plain');
    const record = toS3EventRecord({ bucket: broker.config.bucketName, key, size: body.length, eTag: md5, region: 'us-east-1', sequencer: createSequencer()(), eventTime: new Date() });
    const handle = s3UploadEventHandler(broker.deps);
    const outcomes = (await Promise.all(Array.from({ length: 20 }, () => handle({ Records: [record] })))).flatMap((r) => r.outcomes);
    figures.duplicateEvents = { concurrent: 20, transitions: outcomes.filter((o) => o === 'uploaded').length, noOps: outcomes.filter((o) => o === 'duplicate').length };
    expect(outcomes.filter((o) => o === 'uploaded')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19);
    expect((await broker.deps.store.get(leaseId))!.status).toBe('UPLOADED');
  });
});
