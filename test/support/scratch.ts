/**
 * Temporary directories for tests, inside the run's scratch directory (test/support/global-setup.js),
 * which the global teardown removes: a test run leaves nothing in the system's temp directory. A file
 * run under a jest config without that setup gets a directory of its own, removed when the worker exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_DIR_VARIABLE } from './global-setup.js';

let ownRunDir: string | undefined;

export function runDir(): string {
  const dir = process.env[RUN_DIR_VARIABLE];
  if (dir) return dir;
  if (!ownRunDir) {
    const made = mkdtempSync(join(tmpdir(), 'ulb-test-run-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    ownRunDir = made;
  }
  return ownRunDir;
}

/** A new, empty directory named `<prefix>XXXXXX` inside the run's scratch directory. */
export const scratchDir = (prefix: string): string => mkdtempSync(join(runDir(), prefix));
