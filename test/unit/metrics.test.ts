import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { recordSweep } from '../../shared/metrics.js';

describe('metrics from the code', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('a sweep run publishes its retention lag and counts as one Embedded Metric Format line', () => {
    const lines: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    recordSweep({ examined: 9, expired: 7, settled: 1, failed: 1, stoppedEarly: true, retentionLagSeconds: 420 });
    const emf = lines.map((l) => JSON.parse(l)).find((l) => l._aws);
    expect(emf).toMatchObject({ RetentionLagSeconds: 420, LeasesExpired: 7, LeasesSettled: 1, SweepFailures: 1, SweepStoppedEarly: 1, service: 'upload-lease-broker' });
    const declared = emf._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string; Unit: string }) => `${m.Name}:${m.Unit}`);
    expect(declared).toEqual(expect.arrayContaining(['RetentionLagSeconds:Seconds', 'LeasesExpired:Count']));
  });
});
