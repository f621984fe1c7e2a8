import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { runDir } from '../support/scratch.js';
import { synthesizeOnce, synthStack } from './helpers.js';

/** The harness the infra tests share: a configuration is synthesized once per run and read back after. */
describe('synthStack', () => {
  const cached = () => readdirSync(join(runDir(), 'synth')).filter((f) => f.endsWith('.json'));
  const CONTEXT = { logRetentionDays: 14, deletionProtection: 'false', maxUploadBytes: 1_234_567 };

  test('a configuration is synthesized once, whatever the order of its keys; what is read back is what a synth gives', () => {
    const first = synthStack(CONTEXT);
    const files = cached();
    const reordered = Object.fromEntries(Object.entries(CONTEXT).reverse());
    const again = synthStack(reordered);
    expect(cached()).toEqual(files);
    expect(again.template.toJSON()).toEqual(first.template.toJSON());

    const fresh = synthesizeOnce(CONTEXT);
    expect(first.template.toJSON()).toEqual(fresh.template);
    expect(first.functions).toEqual(fresh.functions);
    expect(first.environment).toBe(fresh.environment);
    expect(first.functions.filter((f) => f.lambda).length).toBeGreaterThanOrEqual(7);
  });

  test('another context is another synth', () => {
    const before = cached().length;
    const other = synthStack({ ...CONTEXT, maxUploadBytes: 7_654_321 });
    expect(cached()).toHaveLength(before + 1);
    expect(JSON.stringify(other.template.toJSON())).toContain('7654321');
    expect(JSON.stringify(synthStack(CONTEXT).template.toJSON())).not.toContain('7654321');
  });

  test('an invalid context throws every time and leaves nothing behind', () => {
    const before = cached();
    expect(() => synthStack({ logRetentionDays: 'often' })).toThrow(/logRetentionDays/);
    expect(() => synthStack({ logRetentionDays: 'often' })).toThrow(/logRetentionDays/);
    expect(cached()).toEqual(before);
  });
});
