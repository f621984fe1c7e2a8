import { createHmac } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { containerSasQuery, containerSasStringToSign, SAS_VERSION, sasTime } from '../../../shared/contracts/azure/container-sas.js';

/** The minting side of the Blob front's SAS contract (shared/contracts/azure/container-sas.ts). */
const A = '0123456789abcdef0123456789abcdef';
const EXPIRY = Date.UTC(2026, 11, 3, 22, 0, 0, 999);

describe('containerSasQuery', () => {
  test('sv, sr=c, sp, se (to the second, rounded down), sig over the documented string, values URL-encoded', () => {
    const query = containerSasQuery({ container: A, permissions: ['w', 'r', 'c'], expiresAt: EXPIRY, key: 'k€y' });
    const params = new URLSearchParams(query);
    expect([...params.keys()]).toEqual(['sv', 'sr', 'sp', 'se', 'sig']);
    expect(params.get('sv')).toBe(SAS_VERSION);
    expect(params.get('sr')).toBe('c');
    expect(params.get('sp')).toBe('rcw'); // always in r, c, w order
    expect(params.get('se')).toBe('2026-12-03T22:00:00Z');
    expect(query).toContain('se=2026-12-03T22%3A00%3A00Z');
    const toSign = `rcw\n\n2026-12-03T22:00:00Z\n/${A}\n${SAS_VERSION}\nc`;
    expect(containerSasStringToSign({ sp: 'rcw', se: '2026-12-03T22:00:00Z', container: A, sv: SAS_VERSION, sr: 'c' })).toBe(toSign);
    expect(params.get('sig')).toBe(createHmac('sha256', Buffer.from('k€y', 'utf8')).update(toSign).digest('base64'));
  });

  test('an optional st goes before se and into the string to sign', () => {
    const params = new URLSearchParams(containerSasQuery({ container: A, permissions: ['r'], expiresAt: EXPIRY, startsAt: EXPIRY - 3_600_000, key: 'k' }));
    expect([...params.keys()]).toEqual(['sv', 'sr', 'sp', 'st', 'se', 'sig']);
    expect(params.get('st')).toBe('2026-12-03T21:00:00Z');
    const toSign = containerSasStringToSign({ sp: 'r', st: '2026-12-03T21:00:00Z', se: '2026-12-03T22:00:00Z', container: A, sv: SAS_VERSION, sr: 'c' });
    expect(params.get('sig')).toBe(createHmac('sha256', 'k').update(toSign).digest('base64'));
  });

  test('refuses a container that is not a lease id, and no permission', () => {
    expect(() => containerSasQuery({ container: A.toUpperCase(), permissions: ['r'], expiresAt: EXPIRY, key: 'k' })).toThrow(/32 lowercase hex/);
    expect(() => containerSasQuery({ container: A, permissions: [], expiresAt: EXPIRY, key: 'k' })).toThrow(/permission/);
    // Anchored at both ends: a lease id inside a longer name is not a container.
    for (const container of [`x${A}`, `${A}x`]) expect(() => containerSasQuery({ container, permissions: ['r'], expiresAt: EXPIRY, key: 'k' })).toThrow(/32 lowercase hex/);
    expect(() => containerSasQuery({ container: A, permissions: ['r'], expiresAt: Number.NaN, key: 'k' })).toThrow('expiresAt must be a finite epoch ms');
  });

  test('sasTime drops the milliseconds', () => {
    expect(sasTime(Date.UTC(2030, 0, 2, 3, 4, 5, 678))).toBe('2030-01-02T03:04:05Z');
  });
});
