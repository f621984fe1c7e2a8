import { afterEach, describe, expect, jest, test } from '@jest/globals';
import type { LeaseRecord, LeaseStatus } from '../../shared/lease/model.js';
import { METRICS } from '../../shared/metric-catalog.js';
import { recordLeaseChanges, recordSweep } from '../../shared/metrics.js';

function emfLines(run: () => void): Array<Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } }> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l._aws);
}

const change = (contract: string, previous: LeaseStatus | undefined, status: LeaseStatus) => ({
  previous,
  record: { leaseId: 'x', contract, status } as LeaseRecord,
  time: 0,
});

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

  test('lease changes are counted by contract and transition, one line per pair, and a same-status write counts nothing', () => {
    const lines = emfLines(() =>
      recordLeaseChanges([
        change('azure-ml', undefined, 'PENDING'),
        change('azure-ml', undefined, 'PENDING'),
        change('alibaba-bailian', undefined, 'PENDING'),
        change('azure-ml', 'PENDING', 'UPLOADED'),
        change('alibaba-bailian', 'PENDING', 'REJECTED'),
        change('azure-ml', 'EXPIRED', 'PENDING'),
        change('azure-ml', 'UPLOADED', 'UPLOADED'),
      ]),
    );
    const counts = Object.fromEntries(lines.map((l) => [`${l.Contract}/${l.Transition}`, l[METRICS.leaseTransitions.name]]));
    expect(counts).toEqual({ 'azure-ml/Issued': 3, 'alibaba-bailian/Issued': 1, 'azure-ml/Uploaded': 1, 'alibaba-bailian/Rejected': 1 });
    for (const line of lines) {
      expect(line._aws.CloudWatchMetrics[0]!.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'Contract', 'Transition']));
      expect(line._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)).toEqual([METRICS.leaseTransitions.name]);
    }
    expect(emfLines(() => recordLeaseChanges([change('azure-ml', 'UPLOADED', 'UPLOADED')]))).toEqual([]);
  });
});
