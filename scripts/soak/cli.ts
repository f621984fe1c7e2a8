/**
 * `npm run soak -- --duration <seconds> --clients <n>`: sustained load with faults against the local
 * mode, then an audit that nothing was lost (scripts/soak/run.ts). Exits 1 when the audit fails.
 */
import { parseOptions, UsageError } from './options.js';
import { runSoak } from './run.js';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message);
  process.exit(2);
}
const report = await runSoak(options);
process.exit(report.ok ? 0 : 1);
