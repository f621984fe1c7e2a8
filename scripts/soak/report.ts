/** The soak's report: reports/soak.json (the full run) and the lines printed at the end. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditResult } from './audit.js';
import type { RssSample } from './broker-process.js';
import type { OperationStats } from './stats.js';

export interface MemoryReport {
  readonly samples: number;
  readonly peakMb: number;
  /** Per start of the broker: RSS at the end of warm-up, the peak after it, and the growth. */
  readonly runs: { run: number; warmMb: number; peakAfterWarmMb: number; growthMb: number; seconds: number }[];
  readonly growthLimitMb: number;
  readonly bounded: boolean;
}

export interface SoakReport {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly clients: number;
  readonly settings: Record<string, string>;
  readonly lifecycles: { readonly total: number; readonly perSecond: number; readonly byScenario: Record<string, number> };
  readonly leasesTracked: number;
  readonly operations: Record<string, OperationStats>;
  readonly faults: {
    readonly injected: Record<string, number>;
    readonly restart: { killedAt: string; downSeconds: number } | undefined;
    /** 503s the clients saw (throttling that outlasted the SDK's retries) and retried past. */
    readonly throttled503: number;
    readonly networkErrorsDuringRestart: number;
    readonly survived: boolean;
  };
  readonly memory: MemoryReport;
  readonly clientViolations: readonly string[];
  readonly unexpected5xx: readonly unknown[];
  readonly unexpectedNetworkErrors: readonly unknown[];
  readonly audit: AuditResult;
  readonly ok: boolean;
}

/** RSS bounded: after the first quarter of each start (at least 10 s), it grows by less than the limit. */
export function memoryReport(samples: readonly RssSample[], growthLimitMb: number): MemoryReport {
  const runs = [...new Set(samples.map((s) => s.run))].map((run) => {
    const mine = samples.filter((s) => s.run === run);
    const seconds = mine.at(-1)?.t ?? 0;
    const warmEnd = Math.max(10, seconds / 4);
    const warm = mine.filter((s) => s.t <= warmEnd);
    const after = mine.filter((s) => s.t > warmEnd);
    const warmMb = Math.max(0, ...warm.map((s) => s.rssMb));
    const peakAfterWarmMb = Math.max(warmMb, ...after.map((s) => s.rssMb));
    return { run, warmMb, peakAfterWarmMb, growthMb: Math.round((peakAfterWarmMb - warmMb) * 10) / 10, seconds: Math.round(seconds) };
  });
  return {
    samples: samples.length,
    peakMb: Math.max(0, ...samples.map((s) => s.rssMb)),
    runs,
    growthLimitMb,
    bounded: runs.every((r) => r.growthMb <= growthLimitMb),
  };
}

export function writeReport(file: string, report: SoakReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

export function summaryLines(report: SoakReport): string[] {
  const lines = [
    `soak: ${report.durationSeconds} s, ${report.clients} clients: ${report.lifecycles.total} lifecycles (${report.lifecycles.perSecond}/s), ${report.leasesTracked} leases`,
  ];
  for (const [op, s] of Object.entries(report.operations)) lines.push(`  ${op.padEnd(26)} n=${String(s.count).padStart(6)}  p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms  ${JSON.stringify(s.statuses)}`);
  lines.push(`  faults: ${JSON.stringify(report.faults.injected)}; 503 retried ${report.faults.throttled503}; restart ${report.faults.restart ? `down ${report.faults.restart.downSeconds} s` : 'none'}`);
  lines.push(`  memory: peak ${report.memory.peakMb} MB; growth after warm-up ${report.memory.runs.map((r) => `${r.growthMb} MB`).join(', ')} (limit ${report.memory.growthLimitMb})`);
  for (const check of report.audit.checks) lines.push(`  ${check.failures.length === 0 ? 'ok  ' : 'FAIL'} ${check.name} (${check.checked})${check.failures.length ? `\n      ${check.failures.slice(0, 10).join('\n      ')}` : ''}`);
  if (report.clientViolations.length) lines.push(`  FAIL client checks:\n      ${report.clientViolations.slice(0, 10).join('\n      ')}`);
  if (report.unexpected5xx.length) lines.push(`  FAIL 5xx not injected: ${JSON.stringify(report.unexpected5xx.slice(0, 5))}`);
  if (report.unexpectedNetworkErrors.length) lines.push(`  FAIL network errors outside the restart: ${JSON.stringify(report.unexpectedNetworkErrors.slice(0, 5))}`);
  if (!report.memory.bounded) lines.push('  FAIL memory not bounded');
  lines.push(report.ok ? 'soak: audit clean' : 'soak: AUDIT FAILED');
  return lines;
}

/** What docs/reliability.md shows of a run (test/support/reliability-report.ts renders it). */
export function reliabilitySummary(report: SoakReport) {
  return {
    clients: report.clients,
    durationSeconds: report.durationSeconds,
    faults: report.settings.LOCAL_FAULTS ?? '',
    azureUploads: report.settings.AZURE_UPLOADS ?? 's3-presigned',
    lifecycles: report.lifecycles.total,
    byScenario: report.lifecycles.byScenario,
    perSecond: report.lifecycles.perSecond,
    injected: report.faults.injected,
    restartDownSeconds: report.faults.restart?.downSeconds ?? null,
    memory: { peakMb: report.memory.peakMb, growthMb: report.memory.runs.map((r) => r.growthMb), limitMb: report.memory.growthLimitMb },
    operations: report.operations,
    checks: report.audit.checks.map((c) => ({ name: c.name, checked: c.checked, failures: c.failures.length })),
    unexpected5xx: report.unexpected5xx.length,
    ok: report.ok,
  };
}
