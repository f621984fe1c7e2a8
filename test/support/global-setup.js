// jest globalSetup: one scratch directory per test run, handed to the workers in the environment (they
// are started after this runs). The infra tests keep each synthesized stack configuration there, so a
// configuration is synthesized once per run, not once per file (test/infra/helpers.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_DIR_VARIABLE = 'ULB_TEST_RUN_DIR';

export default function globalSetup() {
  process.env[RUN_DIR_VARIABLE] = mkdtempSync(join(tmpdir(), 'ulb-test-run-'));
}
