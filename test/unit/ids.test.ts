import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import {
  ALIBABA_LEASE_ID,
  AZURE_LEASE_ID,
  LEASE_ID,
  newAlibabaLeaseId,
  newAlibabaRequestId,
  newGuid,
  scopedLeaseId,
} from '../../shared/ids.js';

const FORMAT = /^[0-9a-f]{32}\.[0-9]{13}$/;

describe('newAlibabaLeaseId', () => {
  test.each([
    [1719325231035, '1719325231035'],
    [Date.UTC(2025, 0, 2, 3, 4, 5, 6), '1735787045006'],
    [0, '0000000000000'],
    [1, '0000000000001'],
    [9_999_999_999_999, '9999999999999'],
  ])('timestamp %j -> 32 hex, a dot and %s', (now, suffix) => {
    const id = newAlibabaLeaseId(now);
    expect(id).toMatch(FORMAT);
    expect(id.split('.')[1]).toBe(suffix);
    expect(id).toMatch(ALIBABA_LEASE_ID);
    expect(id).toMatch(LEASE_ID);
    expect(id).not.toMatch(AZURE_LEASE_ID);
  });

  it('matches the contract example shape', () => {
    expect('1e6a159107384782be5e45ac4759b247.1719325231035').toMatch(FORMAT);
    expect(newAlibabaLeaseId(1719325231035)).toHaveLength('1e6a159107384782be5e45ac4759b247.1719325231035'.length);
  });

  it('is unique over 10k ids with the same timestamp', () => {
    const now = Date.UTC(2025, 5, 1);
    const ids = new Set<string>();
    const randomParts = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = newAlibabaLeaseId(now);
      expect(id).toMatch(FORMAT);
      ids.add(id);
      randomParts.add(id.slice(0, 32));
    }
    expect(ids.size).toBe(10_000);
    expect(randomParts.size).toBe(10_000);
  });

  it('uses every hex digit in the random part (not a constant or a counter)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) for (const c of newAlibabaLeaseId(1).slice(0, 32)) seen.add(c);
    expect([...seen].sort().join('')).toBe('0123456789abcdef');
  });
});

describe('scopedLeaseId', () => {
  const scope = ['azure-ml', 'sub', 'test-rg', 'workspaces', 'my-aml-workspace', 'my-code', '1', 'pending-1'];

  it('is deterministic and 32 lower-case hex', () => {
    const a = scopedLeaseId(scope);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).toMatch(AZURE_LEASE_ID);
    expect(a).toMatch(LEASE_ID);
    expect(scopedLeaseId([...scope])).toBe(a);
    expect(scopedLeaseId(scope.map((s) => `${s}`))).toBe(a);
  });

  it('changes with any part, including case of case-sensitive parts', () => {
    const base = scopedLeaseId(scope);
    for (let i = 0; i < scope.length; i++) {
      const changed = [...scope];
      changed[i] = `${changed[i]}x`;
      expect(scopedLeaseId(changed)).not.toBe(base);
    }
    const upper = [...scope];
    upper[5] = 'My-Code';
    expect(scopedLeaseId(upper)).not.toBe(base);
  });

  test.each([
    [['ab', 'c'], ['a', 'bc']],
    [['a|', 'b'], ['a', '|b']],
    [['1:a|'], ['1:a', '']],
    [['a', ''], ['a']],
    [[''], []],
    [['a', 'b'], ['b', 'a']],
    [['a/b'], ['a', 'b']],
    [['é'], ['e\u0301']],
    [['2:ab|'], ['ab']],
  ])('is not fooled by concatenation: %j vs %j', (a, b) => {
    expect(scopedLeaseId(a)).not.toBe(scopedLeaseId(b));
  });

  it('different scopes give different ids (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), fc.array(fc.string(), { maxLength: 5 }), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(scopedLeaseId(a)).not.toBe(scopedLeaseId(b));
      }),
      { numRuns: 500 },
    );
  });
});

describe('other ids', () => {
  it('newGuid is a v4 UUID and unique', () => {
    const a = newGuid();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newGuid()).not.toBe(a);
  });

  it('newAlibabaRequestId is an upper-case UUID', () => {
    const id = newAlibabaRequestId();
    expect(id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(newAlibabaRequestId()).not.toBe(id);
  });
});
