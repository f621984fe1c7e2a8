// jest globalTeardown: removes the run's scratch directory (test/support/global-setup.js).
import { rmSync } from 'node:fs';
import { RUN_DIR_VARIABLE } from './global-setup.js';

export default function globalTeardown() {
  const dir = process.env[RUN_DIR_VARIABLE];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
