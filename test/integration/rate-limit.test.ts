import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { fixedClock } from '../support/clock.js';
import { postForm, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { expectAlibabaError } from '../support/schemas.js';
import { allLeases } from '../support/storage.js';

/** The Alibaba contract documents 10 calls/s; the limit is per workspace and holds across concurrent calls. */
const clock = fixedClock(Date.now());
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ clock, env: { ALIBABA_RATE_LIMIT_PER_SECOND: '10' } });
});
afterAll(() => broker.dispose());

const form = { FileName: 'limited.pdf', Md5: '19657c391f6c70bcea63c154d8606bb3', SizeInBytes: '10' };
const burst = (workspace: string, n: number) =>
  Promise.all(Array.from({ length: n }, () => postForm(broker.url, `/${workspace}/datacenter/category/default`, form)));

test('15 concurrent calls in one second: 10 leases, 5 throttled in Alibaba format, other workspaces unaffected', async () => {
  const [limited, other] = await Promise.all([burst('ws_hot', 15), burst('ws_calm', 3)]);
  const ok = limited.filter((r) => r.status === 200);
  const throttled = limited.filter((r) => r.status === 429);
  expect(ok).toHaveLength(10);
  expect(throttled).toHaveLength(5);
  for (const r of throttled) {
    expectAlibabaError(r.json);
    expect(r.json).toMatchObject({ Code: 'Throttling.User', Status: '429', Success: false });
    expect(r.headers.get('retry-after')).toBe('1');
  }
  expect(other.map((r) => r.status)).toEqual([200, 200, 200]);
  // Throttled calls leave no lease behind.
  expect((await allLeases(broker)).filter((l) => l.scope === 'ws_hot/default')).toHaveLength(10);

  clock.advance(1000);
  expect((await burst('ws_hot', 1))[0]!.status).toBe(200);
});
