import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';

/**
 * The precompiled validators (shared/generated/, git-ignored) are built from the schemas. Every script
 * that runs the broker's code must build them first, or it runs stale checks after a schema edit, or
 * dies on a missing module in a fresh clone.
 */
const scripts: Record<string, string> = JSON.parse(readFileSync('package.json', 'utf8')).scripts;
const RUNS_BROKER_CODE = ['start', 'test', 'bench', 'test:unit', 'test:changed', 'test:e2e', 'test:infra', 'test:mutation', 'report:reliability', 'synth', 'deploy'];

describe('package scripts', () => {
  test.each(RUNS_BROKER_CODE)('%s builds the validators before it runs', (name) => {
    expect(scripts[name]).toBeDefined();
    const builds = (s: string | undefined) => s !== undefined && /\bnpm run (--silent )?build:validators\b/.test(s);
    // synth and deploy build through cdk.json's "build" step.
    const viaCdk = ['synth', 'deploy'].includes(name) && /scripts\/build-validators\.ts/.test(JSON.parse(readFileSync('cdk.json', 'utf8')).build ?? '');
    expect(builds(scripts[`pre${name}`]) || builds(scripts[name]) || viaCdk).toBe(true);
  });
});
