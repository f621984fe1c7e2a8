import { EventEmitter } from 'node:events';
import { describe, expect, test } from '@jest/globals';
import type { KoaContext } from '../../local/emulator-packages.js';
import { oneRequestPerKey } from '../../local/s3-one-request-per-key.js';

/**
 * The embedded S3's per-key turns: a request on a key starts only once the earlier ones on it have sent
 * their responses; a copy waits for its source's turn too; other keys do not wait.
 */
function request(url: string, headers: Record<string, string> = {}) {
  const res = Object.assign(new EventEmitter(), { writableFinished: false, destroyed: false });
  const ctx = { req: { url, headers }, res } as unknown as KoaContext;
  return { ctx, respond: () => res.emit('finish') };
}

/** Runs a request through the middleware; its handler (s3rver) is held until `finish` is called. */
function start(middleware: ReturnType<typeof oneRequestPerKey>, url: string, headers?: Record<string, string>) {
  const { ctx, respond } = request(url, headers);
  const state = { started: false };
  let finish!: () => void;
  const handled = new Promise<void>((resolve) => (finish = resolve));
  const done = middleware(ctx, async () => {
    state.started = true;
    await handled;
  });
  return { state, finish: async () => (finish(), await done, respond()) };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('oneRequestPerKey', () => {
  test('a second request on a key waits for the first one response; other keys go at once', async () => {
    const m = oneRequestPerKey();
    const first = start(m, '/bucket/files/a.txt');
    const second = start(m, '/bucket/files/a.txt?x-id=GetObject');
    const other = start(m, '/bucket/files/b.txt');
    await tick();
    expect([first.state.started, second.state.started, other.state.started]).toEqual([true, false, true]);
    await first.finish();
    await tick();
    expect(second.state.started).toBe(true);
    await Promise.all([second.finish(), other.finish()]);
  });

  test('a copy waits for its source key too, and a request on the source waits for the copy', async () => {
    const m = oneRequestPerKey();
    const deleting = start(m, '/bucket/tmp/src.txt');
    const copy = start(m, '/bucket/files/dst.txt', { 'x-amz-copy-source': 'bucket/tmp/src.txt' });
    await tick();
    expect(copy.state.started).toBe(false);
    await deleting.finish();
    await tick();
    expect(copy.state.started).toBe(true);
    const afterCopy = start(m, '/bucket/tmp/src.txt');
    await tick();
    expect(afterCopy.state.started).toBe(false);
    await copy.finish();
    await tick();
    expect(afterCopy.state.started).toBe(true);
    await afterCopy.finish();
  });

  test('bucket-level requests (a listing, a batch delete) are not held', async () => {
    const m = oneRequestPerKey();
    const write = start(m, '/bucket/tmp/x.txt');
    const listing = start(m, '/bucket?list-type=2&prefix=tmp/');
    const batch = start(m, '/bucket?delete');
    await tick();
    expect([listing.state.started, batch.state.started]).toEqual([true, true]);
    await Promise.all([write.finish(), listing.finish(), batch.finish()]);
  });
});
