import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { eventually, postForm, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { recordSection } from '../support/reliability-report.js';

/** Storage itself refuses a URL past its lifetime (LEASE_URL_TTL_SECONDS). */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ env: { LEASE_URL_TTL_SECONDS: '3' } });
});
afterAll(() => broker.dispose());

test('a PUT within the URL lifetime succeeds; the same kind of PUT after it is refused by S3', async () => {
  const form = { FileName: 'short.txt', Md5: '5d41402abc4b2a76b9719d911017c592', SizeInBytes: '5' };
  const early = (await postForm(broker.url, '/ws_ttl/datacenter/category/default', form)).json.Data.Param;
  expect((await fetch(early.Url, { method: 'PUT', headers: early.Headers, body: 'hello' })).status).toBe(200);
  const late = (await postForm(broker.url, '/ws_ttl/datacenter/category/default', form)).json.Data.Param;
  const query = new URL(late.Url).searchParams;
  expect(query.get('X-Amz-Expires')).toBe('3');
  // Wait for the URL's own end (X-Amz-Date + X-Amz-Expires, whole seconds), not for a fixed time.
  const signedAt = Date.parse(query.get('X-Amz-Date')!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const endsAt = signedAt + 3000;
  await eventually(async () => (Date.now() > endsAt + 1000 ? true : undefined), 30_000, 50);
  const refused = await fetch(late.Url, { method: 'PUT', headers: late.Headers, body: 'hello' });
  expect(refused.status).toBe(403);
  expect(await refused.text()).toContain('Request has expired');
  recordSection('urlLifetime', { ttlSeconds: 3, putWithinLifetime: 200, putAfterLifetime: refused.status });
});
