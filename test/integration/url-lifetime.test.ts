import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { postForm, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { recordSection } from '../support/reliability-report.js';

/** Storage itself refuses a URL past its lifetime (LEASE_URL_TTL_SECONDS). */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ env: { LEASE_URL_TTL_SECONDS: '1' } });
});
afterAll(() => broker.dispose());

test('a PUT within the URL lifetime succeeds; the same kind of PUT after it is refused by S3', async () => {
  const form = { FileName: 'short.txt', Md5: '5d41402abc4b2a76b9719d911017c592', SizeInBytes: '5' };
  const early = (await postForm(broker.url, '/ws_ttl/datacenter/category/default', form)).json.Data.Param;
  const late = (await postForm(broker.url, '/ws_ttl/datacenter/category/default', form)).json.Data.Param;
  expect(new URL(late.Url).searchParams.get('X-Amz-Expires')).toBe('1');
  expect((await fetch(early.Url, { method: 'PUT', headers: early.Headers, body: 'hello' })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 2100));
  const refused = await fetch(late.Url, { method: 'PUT', headers: late.Headers, body: 'hello' });
  expect(refused.status).toBe(403);
  expect(await refused.text()).toContain('Request has expired');
  recordSection('urlLifetime', { ttlSeconds: 1, putWithinLifetime: 200, putAfterLifetime: refused.status });
});
