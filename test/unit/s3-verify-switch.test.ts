import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { s3VerifySignatures } from '../../local/s3-auth/verify-switch.js';

describe('S3_VERIFY_SIGNATURES', () => {
  it('is on unless it says "false"; anything else is an error, not a guess', () => {
    expect([undefined, '', 'true'].map(s3VerifySignatures)).toEqual([true, true, true]);
    expect(s3VerifySignatures('false')).toBe(false);
    expect(() => s3VerifySignatures('no')).toThrow('S3_VERIFY_SIGNATURES must be "true" or "false", got "no"');
  });

  it('is turned off by no test but the one that tests the switch itself', () => {
    const root = join(import.meta.dirname, '..');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(root, f));
    const offenders = files
      .filter((f) => /S3_VERIFY_SIGNATURES\s*:\s*'false'|verifySignatures\s*:\s*false/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    expect(offenders).toEqual(['integration/s3-refusals.test.ts']);
  });
});
