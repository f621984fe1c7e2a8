import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@jest/globals';
import { RUN_DIR_VARIABLE } from '../support/global-setup.js';
import { scratchDir } from '../support/scratch.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('the run\'s scratch directory, with the directories tests make in it and the synthesized stacks, is gone when the run ends', () => {
  const tmp = scratchDir('tmpdir-');
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env[RUN_DIR_VARIABLE]; // the child run makes its own
  // credential-files makes a directory for its files; synth-once fills the run's synth cache.
  const files = ['test/unit/credential-files.test.ts', 'test/infra/synth-once.test.ts'];
  const run = spawnSync(process.execPath, ['--no-warnings=ExperimentalWarning', '--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--cacheDirectory', join(tmp, 'jest-cache'), ...files], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  expect(run.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
  expect(run.status).toBe(0);
  expect(readdirSync(tmp).filter((name) => name !== 'jest-cache')).toEqual([]);
}, 150_000);
