import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SweepReport } from './lease/sweep.js';

/**
 * The broker's CloudWatch metrics, in one place: Powertools Metrics writes them as Embedded Metric
 * Format lines, which CloudWatch turns into metrics without a PutMetricData call (and without IAM).
 * Namespace from POWERTOOLS_METRICS_NAMESPACE (set by the stack).
 */
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'UploadLeaseBroker', serviceName: 'upload-lease-broker' });

/** After every sweep run: the retention lag (the promise kept, or by how much not) and what was done. */
export function recordSweep(report: SweepReport): void {
  // Unknown is left out, not published as a healthy 0.
  if (report.retentionLagSeconds !== undefined) metrics.addMetric('RetentionLagSeconds', MetricUnit.Seconds, report.retentionLagSeconds);
  metrics.addMetric('LeasesExpired', MetricUnit.Count, report.expired);
  metrics.addMetric('LeasesSettled', MetricUnit.Count, report.settled);
  metrics.addMetric('SweepFailures', MetricUnit.Count, report.failed);
  metrics.addMetric('SweepStoppedEarly', MetricUnit.Count, report.stoppedEarly ? 1 : 0);
  metrics.publishStoredMetrics();
}
