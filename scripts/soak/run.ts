/**
 * One soak run: the broker as a child process with faults on (local/faults.ts), the clients for the
 * duration, one kill -9 and restart mid-run, then the broker stopped and the audit of what it left.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULT_COUNTS_FILE } from '../../local/faults.js';
import { audit } from './audit.js';
import { startBrokerProcess } from './broker-process.js';
import { runClient, type ClientContext, type TrackedLease } from './clients.js';
import type { SoakOptions } from './options.js';
import { recordSection } from '../../test/support/reliability-report.js';
import { memoryReport, reliabilitySummary, summaryLines, writeReport, type SoakReport } from './report.js';
import { Stats } from './stats.js';

/** Network errors this long after the restarted broker listens still count as the restart's (requests sent before it). */
const RESTART_TAIL_MS = 3_000;
const MAX_UPLOAD_BYTES = 65_536;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const say = (line: string) => options.verbose && process.stderr.write(`${line}\n`);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ulb-soak-'));
  const settings: Record<string, string> = {
    RETENTION_SECONDS: String(options.retentionSeconds),
    SWEEP_INTERVAL_SECONDS: String(options.sweepIntervalSeconds),
    LEASE_URL_TTL_SECONDS: '15',
    PENDING_GRACE_SECONDS: '0',
    MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    ALIBABA_RATE_LIMIT_PER_SECOND: '0',
    S3_EVENT_DELAY_MS: String(options.s3EventDelayMs),
    LOCAL_FAULTS: options.faults,
    AZURE_UPLOADS: options.azureUploads,
  };
  const startedAt = Date.now();
  const violations: string[] = [];
  let brokerGone: string | undefined;
  const broker = await startBrokerProcess({
    dataDir,
    env: { ...settings, BROKER_LOG_LEVEL: 'error' },
    onUnexpectedExit: (why) => {
      brokerGone = why;
      violations.push(why);
    },
  });
  say(`soak: broker at ${broker.url}, data in ${dataDir}; ${options.clients} clients for ${options.durationSeconds} s`);

  const stats = new Stats();
  const leases = new Map<string, TrackedLease>();
  const lifecycles: Record<string, number> = {};
  let restarting = false;
  let restartEndedAt = 0;
  const stopAt = Date.now() + options.durationSeconds * 1000;
  const contexts: ClientContext[] = Array.from({ length: options.clients }, (_, client) => ({
    url: broker.url,
    stats,
    leases,
    violations,
    lifecycles,
    stopAt,
    restarting: () => restarting || Date.now() - restartEndedAt < RESTART_TAIL_MS,
    brokerGone: () => brokerGone !== undefined,
    maxUploadBytes: MAX_UPLOAD_BYTES,
    client,
    blobFront: options.azureUploads === 'blob-front',
  }));
  const clients = Promise.all(contexts.map(runClient));

  let restart: { killedAt: number; listeningAt: number } | undefined;
  if (options.restart) {
    const at = startedAt + (options.durationSeconds * 1000) / 2;
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    say('soak: kill -9 of the broker, and start again on the same DATA_DIR');
    restarting = true;
    restart = await broker.killAndRestart();
    restartEndedAt = Date.now();
    restarting = false;
    say(`soak: back after ${((restart.listeningAt - restart.killedAt) / 1000).toFixed(1)} s`);
  }
  const progress = setInterval(() => say(`soak: ${leases.size} leases, ${Object.values(lifecycles).reduce((a, b) => a + b, 0)} lifecycles`), 15_000);
  await clients;
  clearInterval(progress);
  const runSeconds = (Date.now() - startedAt) / 1000;

  const stoppedAt = Date.now();
  const exitCode = await broker.stop();
  if (exitCode !== 0) violations.push(`the broker exited ${exitCode} on SIGTERM:\n${broker.output().slice(-2000)}`);
  let injected: Record<string, number> = {};
  try {
    injected = JSON.parse(readFileSync(join(dataDir, FAULT_COUNTS_FILE), 'utf8')) as Record<string, number>;
  } catch {
    injected = {};
  }
  say('soak: broker stopped; auditing');
  const result = await audit({
    dataDir,
    config: { bucketName: 'upload-lease-broker-local', tableName: 'upload-leases', region: 'us-east-1', retentionSeconds: options.retentionSeconds, pendingGraceSeconds: 0, urlTtlSeconds: 15 },
    sweepIntervalSeconds: options.sweepIntervalSeconds,
    leases,
    killedAt: restart?.killedAt,
    stoppedAt,
  });

  const memory = memoryReport(broker.rss, options.rssGrowthLimitMb);
  const total = Object.values(lifecycles).reduce((a, b) => a + b, 0);
  const unexpected = stats.unexpected5xx.length + stats.unexpectedNetworkErrors.length;
  const report: SoakReport = {
    startedAt: new Date(startedAt).toISOString(),
    durationSeconds: options.durationSeconds,
    clients: options.clients,
    settings,
    lifecycles: { total, perSecond: Math.round((total / runSeconds) * 100) / 100, byScenario: lifecycles },
    leasesTracked: leases.size,
    operations: stats.summary(),
    faults: {
      injected,
      restart: restart && { killedAt: new Date(restart.killedAt).toISOString(), downSeconds: Math.round((restart.listeningAt - restart.killedAt) / 100) / 10 },
      throttled503: stats.count5xx(503),
      networkErrorsDuringRestart: stats.networkErrors() - stats.unexpectedNetworkErrors.length,
      survived: result.ok && unexpected === 0 && violations.length === 0,
    },
    memory,
    clientViolations: violations,
    unexpected5xx: stats.unexpected5xx,
    unexpectedNetworkErrors: stats.unexpectedNetworkErrors,
    audit: result,
    ok: result.ok && memory.bounded && violations.length === 0 && unexpected === 0,
  };
  if (options.reportFile) writeReport(options.reportFile, report);
  // Its section of the reliability page: reports/ in npm test, docs/ under npm run soak (RELIABILITY_REPORT_BASE).
  recordSection('soak', reliabilitySummary(report));
  for (const line of summaryLines(report)) say(line);
  if (report.ok && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  else if (!report.ok) say(`soak: data kept in ${dataDir}`);
  return report;
}
