/** The retention sweep on a timer, as the schedule runs it on AWS: one sweep at a time. */
import { sweepDueLeases, type SweepDeps, type SweepReport } from '../shared/lease/sweep.js';
import { log } from '../shared/log.js';

export interface SweepTimer {
  /** Sweeps now, or joins the sweep already running. */
  sweepNow(): Promise<SweepReport>;
  /** No more timed sweeps; one running goes on. */
  stop(): void;
  /** Resolves once the sweep running, if any, has ended (failed or not). */
  finished(): Promise<void>;
}

/** `intervalSeconds` 0 starts no timer: only sweepNow sweeps (tests). */
export function startSweepTimer(deps: SweepDeps, intervalSeconds: number): SweepTimer {
  let sweeping: Promise<SweepReport> | undefined;
  const sweepNow = () => (sweeping ??= sweepDueLeases(deps).finally(() => (sweeping = undefined)));
  const sweepLoggingFailure = () => sweepNow().catch((error) => log.error('sweep failed', {}, error));
  const timer = intervalSeconds > 0 ? setInterval(sweepLoggingFailure, intervalSeconds * 1000) : undefined;
  // Catch up on whatever became due while the broker was down.
  if (intervalSeconds > 0) void sweepLoggingFailure();
  return {
    sweepNow,
    stop: () => {
      if (timer) clearInterval(timer);
    },
    finished: async () => {
      await sweeping?.catch(() => undefined);
    },
  };
}
