import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { loadConfig } from '../../../shared/config.js';
import type { LeaseRecord } from '../../../shared/lease/model.js';
import type { StoredObject } from '../../../shared/lease/ports.js';
import { beforeRevival, clauseHolds, isLate, matchesUpload, uploadClauses, uploadExpectation, verify, type ArrivedObject } from '../../../shared/lease/upload-rule.js';
import { TEST_ENV } from '../../support/engine-fixture.js';

/**
 * The upload rule's two forms agree: the fast path's clauses (what the DynamoDB store writes as its
 * condition, and the memory store evaluates) accept an upload only when the decided path (`verify`,
 * in time, not from before a revival, at the lease's key) accepts it; on canonical values (an MD5
 * declared in lower case, the content type stored as declared) they accept exactly the same uploads.
 * test/integration/store-contract.test.ts holds the DynamoDB condition itself to the same cases.
 */
const config = loadConfig({ ...TEST_ENV, MAX_UPLOAD_BYTES: '100', PENDING_GRACE_SECONDS: '60' });
const T = 1_800_000_000_000;
const KEY = 'tmp/0123456789abcdef0123456789abcdef/file.txt';
const hex = fc.stringMatching(/^[0-9a-f]{4}$/).map((h) => h.repeat(8));

const scenario = fc.record({
  declaredSize: fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined }),
  md5: hex,
  declaredMd5: fc.option(fc.oneof(hex, hex.map((h) => h.toUpperCase())), { nil: undefined }),
  declaresMd5OfUpload: fc.boolean(),
  contentType: fc.option(fc.constantFrom('text/plain', 'application/pdf'), { nil: undefined }),
  storedType: fc.option(fc.constantFrom('text/plain', 'TEXT/PLAIN', 'text/plain; charset=utf-8', 'application/pdf'), { nil: undefined }),
  size: fc.integer({ min: 0, max: 150 }),
  sameKey: fc.boolean(),
  urlExpiresIn: fc.integer({ min: -120_000, max: 120_000 }),
  revivedAgo: fc.option(fc.integer({ min: -3000, max: 3000 }), { nil: undefined }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

function build(s: Scenario) {
  const declaredMd5 = s.declaresMd5OfUpload && s.declaredMd5 !== undefined ? (s.declaredMd5 === s.declaredMd5.toLowerCase() ? s.md5 : s.md5.toUpperCase()) : s.declaredMd5;
  const lease = {
    leaseId: '0123456789abcdef0123456789abcdef',
    status: 'PENDING',
    objectKey: KEY,
    urlExpiresAt: T + s.urlExpiresIn,
    createdAt: T - 600_000,
    ...(s.declaredSize !== undefined ? { declaredSize: s.declaredSize } : {}),
    ...(declaredMd5 !== undefined ? { declaredMd5 } : {}),
    ...(s.contentType !== undefined ? { contentType: s.contentType } : {}),
    ...(s.revivedAgo !== undefined ? { revivedAt: T - s.revivedAgo } : {}),
  } as LeaseRecord;
  const object: ArrivedObject = { key: s.sameKey ? KEY : `${KEY}.other`, size: s.size, eTag: `"${s.md5}"`, eventTime: T };
  // The fast path heads first only for a lease that declared a content type.
  const stored: StoredObject | undefined = s.contentType !== undefined && s.storedType !== undefined ? { size: s.size, eTag: s.md5, contentType: s.storedType } : undefined;
  const decided = object.key === lease.objectKey && !isLate(config, lease, object) && !beforeRevival(lease, object.eventTime) && verify(lease, object, config.maxUploadBytes, stored) === undefined;
  return { lease, object, stored, decided, fast: matchesUpload(lease, uploadExpectation(config, object, stored)) };
}

describe('the upload rule', () => {
  test('the fast path never accepts what the decided path refuses', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { fast, decided } = build(s);
        return !fast || decided;
      }),
      { numRuns: 5000 },
    );
  });

  test('on canonical values the two accept exactly the same uploads', () => {
    const canonical = scenario.filter((s) => (s.declaredMd5 === undefined || s.declaredMd5 === s.declaredMd5.toLowerCase()) && (s.contentType === undefined || s.storedType === s.contentType));
    fc.assert(
      fc.property(canonical, (s) => {
        const { fast, decided } = build(s);
        return fast === decided;
      }),
      { numRuns: 5000 },
    );
  });

  test('both outcomes occur (the properties above are not vacuous)', () => {
    const seen = new Set(fc.sample(scenario, { numRuns: 2000, seed: 7 }).map((s) => `${build(s).fast}/${build(s).decided}`));
    expect(seen).toEqual(new Set(['true/true', 'false/false', 'false/true']));
  });

  test('each clause compares as DynamoDB does: an absent attribute matches only the absent-tolerant clauses', () => {
    const record = { objectKey: 'k', urlExpiresAt: 10 } as LeaseRecord;
    expect(clauseHolds({ field: 'objectKey', is: 'equal', value: 'k' }, record)).toBe(true);
    expect(clauseHolds({ field: 'objectKey', is: 'equal', value: 'j' }, record)).toBe(false);
    expect(clauseHolds({ field: 'urlExpiresAt', is: 'atLeast', value: 10 }, record)).toBe(true);
    expect(clauseHolds({ field: 'urlExpiresAt', is: 'atLeast', value: 11 }, record)).toBe(false);
    expect(clauseHolds({ field: 'urlExpiresAt', is: 'absentOrAtMost', value: 10 }, record)).toBe(true);
    expect(clauseHolds({ field: 'urlExpiresAt', is: 'absentOrAtMost', value: 9 }, record)).toBe(false);
    expect(clauseHolds({ field: 'urlExpiresAt', is: 'absentOrEqual', value: 9 }, record)).toBe(false);
    for (const is of ['equal', 'atLeast'] as const) expect(clauseHolds({ field: 'declaredSize', is, value: 0 }, record)).toBe(false);
    for (const is of ['absentOrEqual', 'absentOrAtMost'] as const) expect(clauseHolds({ field: 'declaredSize', is, value: 0 }, record)).toBe(true);
    expect(clauseHolds({ field: 'declaredSize', is: 'absent' }, record)).toBe(true);
    expect(clauseHolds({ field: 'objectKey', is: 'absent' }, record)).toBe(false);
  });

  test('the clauses cover the key, the URL, the revival, the size, the MD5 and the content type', () => {
    const u = uploadExpectation(config, { key: KEY, size: 5, eTag: '"ab"', eventTime: T }, { size: 5, eTag: 'ab', contentType: 'text/plain' });
    expect(uploadClauses(u)).toEqual([
      { field: 'objectKey', is: 'equal', value: KEY },
      { field: 'urlExpiresAt', is: 'atLeast', value: T - 60_000 },
      { field: 'revivedAt', is: 'absentOrAtMost', value: T + 1000 },
      { field: 'declaredSize', is: 'absentOrEqual', value: 5 },
      { field: 'declaredMd5', is: 'absentOrEqual', value: 'ab' },
      { field: 'contentType', is: 'equal', value: 'text/plain' },
    ]);
    expect(uploadClauses({ ...u, withinLimit: false }).find((c) => c.field === 'declaredSize')).toEqual({ field: 'declaredSize', is: 'equal', value: 5 });
    const { contentType: _type, ...untyped } = u;
    expect(uploadClauses(untyped).find((c) => c.field === 'contentType')).toEqual({ field: 'contentType', is: 'absent' });
  });
});
