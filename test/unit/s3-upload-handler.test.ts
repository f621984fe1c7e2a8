import { describe, expect, test } from '@jest/globals';
import type { S3EventRecord } from 'aws-lambda';
import { decodeS3Key, s3UploadEventHandler, toObjectCreated } from '../../shared/events/s3-upload-handler.js';
import { issueLease } from '../../shared/lease/engine.js';
import { DependencyError } from '../../shared/errors.js';
import { ALIBABA_BODY, alibabaSpec, engineFixture, T0, type EngineFixture } from '../support/engine-fixture.js';
import { createHash } from 'node:crypto';

/** The S3 event Lambda: every ObjectCreated record recorded; what may heal retried, what cannot logged once. */
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function record(key: string, o: { eventName?: string; size?: number; eTag?: string; sequencer?: string; eventTime?: string } = {}): S3EventRecord {
  return {
    eventName: o.eventName ?? 'ObjectCreated:Put',
    eventTime: o.eventTime ?? new Date(T0 + 1000).toISOString(),
    s3: { object: { key, size: o.size ?? ALIBABA_BODY.length, eTag: o.eTag ?? md5(ALIBABA_BODY), sequencer: o.sequencer ?? '0A' } },
  } as unknown as S3EventRecord;
}

async function leased(f: EngineFixture, n: number) {
  const spec = alibabaSpec(`${n.toString(16).padStart(32, 'c')}.1736935200000`);
  await issueLease(f, spec, { createOrGet: false });
  f.objects.put(spec.objectKey, { size: ALIBABA_BODY.length, eTag: `"${md5(ALIBABA_BODY)}"`, contentType: 'text/plain', lastModified: T0 + 1000 });
  return spec;
}

describe('S3 upload events', () => {
  test('keys arrive form-encoded: + is a space, %XX the rest (a literal + arrives as %2B)', () => {
    expect(decodeS3Key('tmp/a+b%2Bc%C3%A9.txt')).toBe('tmp/a b+cé.txt');
    expect(toObjectCreated(record('tmp/x+y', { size: 3, eTag: 'e', sequencer: '0B', eventTime: '2026-01-15T10:00:01.000Z' }))).toEqual({
      key: 'tmp/x y',
      size: 3,
      eTag: 'e',
      sequencer: '0B',
      eventTime: Date.parse('2026-01-15T10:00:01.000Z'),
    });
  });

  test('each ObjectCreated record is recorded; other events are passed over', async () => {
    const f = engineFixture();
    const a = await leased(f, 1);
    const b = await leased(f, 2);
    const { outcomes } = await s3UploadEventHandler(f)({ Records: [record(a.objectKey), record('x', { eventName: 'ObjectRemoved:Delete' }), record(b.objectKey)] });
    expect(outcomes).toEqual(['uploaded', 'uploaded']);
    expect((await f.store.get(a.leaseId))!.status).toBe('UPLOADED');
    expect(await s3UploadEventHandler(f)({} as never)).toEqual({ outcomes: [] });
  });

  test('a failed record fails the invocation after the other records are done, whether it may heal or not (nothing is dropped)', async () => {
    const f = engineFixture();
    const a = await leased(f, 3);
    const b = await leased(f, 4);
    const throttled = new DependencyError('dynamodb', true);
    f.store.beforeNextTransition(() => {
      throw throttled;
    });
    await expect(s3UploadEventHandler(f)({ Records: [record(a.objectKey), record(b.objectKey)] })).rejects.toBe(throttled);
    expect((await f.store.get(b.leaseId))!.status).toBe('UPLOADED');
    expect((await f.store.get(a.leaseId))!.status).toBe('PENDING');

    const timeout = Object.assign(new Error('socket'), { name: 'TimeoutError' });
    f.store.beforeNextTransition(() => {
      throw timeout;
    });
    await expect(s3UploadEventHandler(f)({ Records: [record(a.objectKey)] })).rejects.toBe(timeout);

    // A failure that cannot heal (a refused request, a programming error) fails the invocation too:
    // Lambda retries it, then parks it in the failed-events queue, which alarms.
    const refused = new DependencyError('dynamodb', false, { cause: new Error('ValidationException') });
    f.store.beforeNextTransition(() => {
      throw refused;
    });
    await expect(s3UploadEventHandler(f)({ Records: [record(a.objectKey)] })).rejects.toBe(refused);
    const bug = new TypeError("Cannot read properties of undefined (reading 'status')");
    f.store.beforeNextTransition(() => {
      throw bug;
    });
    await expect(s3UploadEventHandler(f)({ Records: [record(a.objectKey), record(b.objectKey)] })).rejects.toBe(bug);
    // With both kinds in one invocation, the one that may heal is what it fails with.
    f.store.beforeNextTransition(() => {
      throw bug;
    });
    const c = await leased(f, 5);
    f.store.beforeNextTransition(() => {
      throw throttled;
    });
    await expect(s3UploadEventHandler(f)({ Records: [record(a.objectKey), record(c.objectKey)] })).rejects.toBe(throttled);
    f.store.beforeNextTransition(() => {
      throw new DependencyError('dynamodb', false, { cause: Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }) });
    });
    await expect(s3UploadEventHandler(f)({ Records: [record(a.objectKey)] })).rejects.toBeInstanceOf(DependencyError);
    // Retried, the record goes through.
    expect(await s3UploadEventHandler(f)({ Records: [record(a.objectKey)] })).toEqual({ outcomes: ['uploaded'] });
  });
});
