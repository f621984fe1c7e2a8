/** Sweep section: runs bench/sweep.ts (ours and the one-by-one baseline, with and without modelled latency), prints and judges it. */
import { table, type Reporter } from '../report.js';
import { TARGETS } from '../settings.js';
import { benchSweep, type SweepResult, type SweepRun } from '../sweep.js';

export async function sweepSection(leases: number, report: Reporter): Promise<SweepResult> {
  report.progress(`sweep: ${leases} due leases in the local emulators, the one-by-one baseline then ours`);
  const sw = await benchSweep({ leases });
  printSweep(sw, report);
  judgeSweep(sw, report);
  return sw;
}

/** "yes", or what a run left behind. */
const verification = (r: SweepRun) =>
  r.verified ? 'yes' : `NO (${r.leasesLeft} leases not EXPIRED, ${r.objectsLeft} objects left; the sweep reported ${r.report.expired} expired, ${r.report.failed} failed)`;

function printSweep(sw: SweepResult, report: Reporter): void {
  const lat = `+${sw.latencyMs.dynamodb} ms a DynamoDB request, +${sw.latencyMs.s3} ms an S3 request`;
  const row = (label: string, r: SweepRun) => [label, r.seconds, r.leasesPerSecond, verification(r)];
  report.log(
    table(
      `Sweep throughput: ${sw.leases} due leases with their objects, local emulators (S3 verifying signatures); judged with ${lat}`,
      ['sweep', 'seconds', 'leases/s', 'all EXPIRED, all objects gone'],
      [
        row('ours, modelled round trips (index projection, DeleteObjects batches, parallel shards and writes)', sw.ours),
        row('baseline, modelled round trips (GetItem, DeleteObject, UpdateItem per lease)', sw.oneByOne),
        row('ours, emulators as they are (CPU-bound, info)', sw.withoutLatency.ours),
        row('baseline, emulators as they are (CPU-bound, info)', sw.withoutLatency.oneByOne),
      ],
    ),
  );
  report.log(`info: without added latency (this process's CPU is the limit) ours is ${sw.withoutLatency.speedup}x the baseline.`);
}

function judgeSweep(sw: SweepResult, report: Reporter): void {
  report.target(
    `sweep >= ${TARGETS.sweepMinSpeedup}x the one-by-one baseline`,
    sw.speedup >= TARGETS.sweepMinSpeedup,
    `${sw.speedup}x (${sw.ours.leasesPerSecond} vs ${sw.oneByOne.leasesPerSecond} leases/s)`,
  );
  const verified = [sw.ours, sw.oneByOne, sw.withoutLatency.ours, sw.withoutLatency.oneByOne].every((r) => r.verified);
  report.target('sweep leaves every lease EXPIRED and every object gone', verified, verified ? 'all four runs' : 'a run left a lease or an object');
}
