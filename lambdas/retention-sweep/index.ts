import type { Context } from 'aws-lambda';
import { loadConfig } from '../../shared/config.js';
import { sweepDueLeases } from '../../shared/lease/sweep.js';
import { recordSweep } from '../../shared/metrics.js';
import { createBrokerDeps, withObjects } from '../../shared/runtime.js';

const deps = withObjects(createBrokerDeps(loadConfig()));

/** Time kept back from the Lambda timeout to finish the page in hand and publish the metrics. */
const STOP_MARGIN_MS = 30_000;

/**
 * Runs on an EventBridge schedule; one failed lease never stops the others. A run stops taking new
 * pages near its time limit; what is left is the next run's work, and the retention lag shows it.
 */
export const handler = async (_event: unknown, context: Context) => {
  const report = await sweepDueLeases(deps, { deadline: Date.now() + context.getRemainingTimeInMillis() - STOP_MARGIN_MS });
  recordSweep(report);
  return report;
};
