import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { eventually, getLease, postForm, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { objectExists } from '../support/storage.js';

/** The local mode in real time: RETENTION_SECONDS=2, sweep every second, as `npm start` runs it. */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ env: { RETENTION_SECONDS: '2' }, sweepIntervalSeconds: 1 });
});
afterAll(() => broker.dispose());

test('an upload shows UPLOADED at once and EXPIRED, object gone, about one sweep after its retention', async () => {
  const body = 'short-lived document';
  const res = await postForm(broker.url, '/ws_live/datacenter/category/default', {
    FileName: 'live.md', Md5: createHash('md5').update(body).digest('hex'), SizeInBytes: String(body.length),
  });
  const { FileUploadLeaseId: leaseId, Param } = res.json.Data;
  const put = await fetch(Param.Url, { method: 'PUT', headers: Param.Headers, body });
  expect(put.status).toBe(200);
  const putAt = Date.now();
  const uploaded = await eventually(async () => {
    const l = await getLease(broker.url, leaseId);
    return l.json.status === 'UPLOADED' ? l.json : undefined;
  }, 2000);
  expect(uploaded.size).toBe(body.length);
  const key = `tmp/${leaseId}/live.md`;
  expect(await objectExists(broker, key)).toBe(true);
  await eventually(async () => ((await objectExists(broker, key)) ? undefined : true), 6000, 100);
  const goneAfter = Date.now() - putAt;
  expect(goneAfter).toBeGreaterThanOrEqual(1900);
  expect(goneAfter).toBeLessThan(5000);
  expect((await getLease(broker.url, leaseId)).json.status).toBe('EXPIRED');
});
