import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LeaseChange } from './lease/changes.js';
import type { SweepReport } from './lease/sweep.js';
import { METRIC_SERVICE, METRICS, TRANSITIONS } from './metric-catalog.js';

/**
 * The broker's CloudWatch metrics, published in one place: Powertools Metrics writes them as Embedded
 * Metric Format lines, which CloudWatch turns into metrics without a PutMetricData call (and without
 * IAM). Names and dimensions: shared/metric-catalog.ts. Namespace from POWERTOOLS_METRICS_NAMESPACE
 * (the stack sets its own name).
 */
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'UploadLeaseBroker', serviceName: METRIC_SERVICE });

/** After every sweep run: the retention lag (the promise kept, or by how much not) and what was done. */
export function recordSweep(report: SweepReport): void {
  // Unknown is left out, not published as a healthy 0 (the alarm treats a missing lag as breaching).
  if (report.retentionLagSeconds !== undefined) metrics.addMetric(METRICS.retentionLag.name, MetricUnit.Seconds, report.retentionLagSeconds);
  metrics.addMetric(METRICS.sweepExpired.name, MetricUnit.Count, report.expired);
  metrics.addMetric(METRICS.sweepSettled.name, MetricUnit.Count, report.settled);
  metrics.addMetric(METRICS.sweepFailures.name, MetricUnit.Count, report.failed);
  metrics.addMetric(METRICS.sweepStoppedEarly.name, MetricUnit.Count, report.stoppedEarly ? 1 : 0);
  metrics.publishStoredMetrics();
}

/**
 * Counts a batch of lease changes (the table's stream) by contract and transition: every issued,
 * uploaded, rejected, expired, consumed and deleted lease passes through here exactly when DynamoDB
 * has it, whichever Lambda wrote it. A change that keeps its status counts nothing.
 */
export function recordLeaseChanges(changes: readonly LeaseChange[]): void {
  const counts = new Map<string, { contract: string; transition: string; count: number }>();
  for (const { previous, record } of changes) {
    if (record.status === previous) continue;
    const transition = TRANSITIONS[record.status];
    const key = `${record.contract}\u0000${transition}`;
    const entry = counts.get(key) ?? { contract: record.contract, transition, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  // One EMF line per dimension set: a metric set carries one set of dimensions.
  for (const { contract, transition, count } of counts.values()) {
    const single = metrics.singleMetric();
    single.addDimensions({ Contract: contract, Transition: transition });
    single.addMetric(METRICS.leaseTransitions.name, MetricUnit.Count, count);
  }
}
