import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { createSequencer, encodeS3EventKey, toS3EventRecord } from '../../local/s3-event-records.js';

/** How a Lambda handler decodes the key S3 puts in the record. */
const decodeEventKey = (k: string): string => decodeURIComponent(k.replace(/\+/g, ' '));

describe('encodeS3EventKey', () => {
  it.each([
    ['red flower.jpg', 'red+flower.jpg'],
    ['a+b.txt', 'a%2Bb.txt'],
    ['my file+1.txt', 'my+file%2B1.txt'],
    ['dir/sub dir/file.txt', 'dir/sub+dir/file.txt'],
    ['100%.txt', '100%25.txt'],
    ['a#b?c&d=e;f:g,h@i$j', 'a%23b%3Fc%26d%3De%3Bf%3Ag%2Ch%40i%24j'],
    ['copy (1).png', 'copy+%281%29.png'],
    ["it's!~*", 'it%27s%21%7E*'],
    ['ü.txt', '%C3%BC.txt'],
    ['日本/😀.bin', '%E6%97%A5%E6%9C%AC/%F0%9F%98%80.bin'],
    ['safe-_.AZaz09', 'safe-_.AZaz09'],
    ['/lead//double/', '/lead//double/'],
  ])('%j -> %j', (key, encoded) => {
    expect(encodeS3EventKey(key)).toBe(encoded);
    expect(decodeEventKey(encoded)).toBe(key);
  });

  it('round-trips any well-formed key through the handler-side decoding, using only URL-safe characters', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !/\p{Cs}/u.test(s)),
        (key) => {
          const encoded = encodeS3EventKey(key);
          expect(encoded).toMatch(/^[A-Za-z0-9\-_.*+%/]*$/);
          expect(decodeEventKey(encoded)).toBe(key);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps a literal plus distinguishable from a space', () => {
    expect(encodeS3EventKey('a b')).not.toBe(encodeS3EventKey('a+b'));
  });
});

describe('createSequencer', () => {
  it('is fixed-width uppercase hex and strictly increasing over 10,000 calls', () => {
    const next = createSequencer();
    let previous = next();
    expect(previous).toMatch(/^[0-9A-F]{18}$/);
    for (let i = 0; i < 10_000; i++) {
      const current = next();
      expect(current).toHaveLength(previous.length);
      if (!(current > previous)) throw new Error(`sequencer went from ${previous} to ${current} at call ${i}`);
      expect(BigInt(`0x${current}`) > BigInt(`0x${previous}`)).toBe(true);
      previous = current;
    }
  });

  it('keeps increasing when the clock stands still or steps back', () => {
    const now = jest.spyOn(Date, 'now');
    try {
      const next = createSequencer();
      now.mockReturnValue(1_700_000_000_000);
      const a = next();
      const b = next();
      now.mockReturnValue(1_600_000_000_000);
      const c = next();
      now.mockReturnValue(1_700_000_000_001);
      const d = next();
      expect([a, b, c, d]).toEqual([...[a, b, c, d]].sort());
      expect(new Set([a, b, c, d]).size).toBe(4);
    } finally {
      now.mockRestore();
    }
  });

  it('continues above an earlier generator once time has moved on (a restart)', () => {
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(1_700_000_000_000);
      const first = createSequencer();
      let last = '';
      for (let i = 0; i < 100; i++) last = first();
      now.mockReturnValue(1_700_000_000_001);
      expect(createSequencer()() > last).toBe(true);
    } finally {
      now.mockRestore();
    }
  });
});

describe('toS3EventRecord', () => {
  const base = {
    bucket: 'upload-bucket',
    key: 'leases/abc/my file+1.bin',
    size: 1234,
    eTag: '"D41D8CD98F00B204E9800998ECF8427E"',
    region: 'eu-west-1',
    sequencer: '0055AED6DCD90281E5',
  };

  it('is shaped like a record from real S3', () => {
    const eventTime = new Date('2024-05-06T07:08:09.123Z');
    const record = toS3EventRecord({ ...base, eventTime, sourceIp: '10.1.2.3' });
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2024-05-06T07:08:09.123Z',
      eventName: 'ObjectCreated:Put',
      requestParameters: { sourceIPAddress: '10.1.2.3' },
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: 'upload-bucket', arn: 'arn:aws:s3:::upload-bucket' },
        object: {
          key: 'leases/abc/my+file%2B1.bin',
          size: 1234,
          eTag: 'd41d8cd98f00b204e9800998ecf8427e',
          sequencer: '0055AED6DCD90281E5',
        },
      },
    });
    expect(record.userIdentity.principalId).toEqual(expect.any(String));
    expect(record.s3.bucket.ownerIdentity.principalId).toEqual(expect.any(String));
    expect(record.s3.configurationId).toEqual(expect.any(String));
    expect(record.responseElements['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(record.responseElements['x-amz-id-2']).toMatch(/^[A-Za-z0-9+/=]{20,}$/);
    expect(record.s3.object).not.toHaveProperty('versionId');
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('takes the event name, and defaults the time to now and the source IP to loopback', () => {
    const before = Date.now();
    const record = toS3EventRecord({ ...base, eTag: 'abc', eventName: 'ObjectCreated:Copy' });
    expect(record.eventName).toBe('ObjectCreated:Copy');
    expect(record.s3.object.eTag).toBe('abc');
    expect(Date.parse(record.eventTime)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(record.eventTime)).toBeLessThanOrEqual(Date.now());
    expect(record.requestParameters.sourceIPAddress).toBe('127.0.0.1');
  });

  it('gives each record its own request id', () => {
    const a = toS3EventRecord(base);
    const b = toS3EventRecord(base);
    expect(a.responseElements['x-amz-request-id']).not.toBe(b.responseElements['x-amz-request-id']);
  });
});
