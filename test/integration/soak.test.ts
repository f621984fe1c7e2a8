import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { DEFAULT_OPTIONS } from '../../scripts/soak/options.js';
import { runSoak } from '../../scripts/soak/run.js';

/**
 * The short soak (npm run soak is the long one): 8 clients for 60 s against the local mode as a child
 * process, with every fault on (DynamoDB throttling, latency and spikes, S3 events late and duplicated, one
 * kill -9 and restart), then the audit of the store, the bucket and events.jsonl. Correctness never
 * waits on a fixed sleep: 60 s is the run's length; the audit reads what the stopped broker left.
 */
const dir = mkdtempSync(join(tmpdir(), 'ulb-soak-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('soak (short)', () => {
  test('60 s, 8 clients, every fault: the audit is clean', async () => {
    const report = await runSoak({
      ...DEFAULT_OPTIONS,
      durationSeconds: 60,
      clients: 8,
      dataDir: join(dir, 'data'),
      reportFile: join(dir, 'soak.json'),
      verbose: false,
    });
    const failures = [
      ...report.audit.checks.filter((c) => c.failures.length > 0).map((c) => `${c.name}: ${c.failures.slice(0, 5).join('; ')}`),
      ...report.clientViolations.slice(0, 5),
      ...report.unexpected5xx.slice(0, 5).map((e) => JSON.stringify(e)),
      ...report.unexpectedNetworkErrors.slice(0, 5).map((e) => JSON.stringify(e)),
      ...(report.memory.bounded ? [] : [`memory: ${JSON.stringify(report.memory.runs)}`]),
    ];
    expect(failures).toEqual([]);
    expect(report.ok).toBe(true);
    // Every fault was injected and the run did real work through it.
    expect(report.faults.restart).toBeDefined();
    expect(report.faults.injected).toMatchObject({ ddbThrottled: expect.any(Number), ddbDelayed: expect.any(Number), s3Duplicated: expect.any(Number), s3Late: expect.any(Number) });
    for (const key of ['ddbThrottled', 'ddbDelayed', 'ddbInSpike', 's3Duplicated', 's3Late']) expect(report.faults.injected[key]).toBeGreaterThan(0);
    expect(report.lifecycles.total).toBeGreaterThan(20);
    expect(report.audit.statuses.CONSUMED).toBeGreaterThan(0);
    expect(report.audit.statuses.EXPIRED).toBeGreaterThan(0);
    // The Blob front is on (the soak's default): multi-blob containers were uploaded and consumed.
    expect(report.settings.AZURE_UPLOADS).toBe('blob-front');
    expect(report.lifecycles.byScenario['azure-container']).toBeGreaterThan(0);
  }, 300_000);
});
