/**
 * The real end-to-end suite (test/e2e/broker.e2e.test.ts) in a child jest, pointed at a template run's
 * gateway as `npm run test:e2e` points it at a deployed stack (E2E=1, API_URL), signing as the stack's
 * auth mode requires. Returns the counts from jest's JSON report and the output for diagnostics.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../infra/broker-function.js';

export interface E2eResult {
  readonly ok: boolean;
  readonly passed: number;
  readonly failed: number;
  readonly total: number;
  /** Each failed test's name and first lines of its message. */
  readonly failures: string[];
  readonly output: string;
}

export async function runE2eSuite(env: Record<string, string>, options: { bail?: boolean; timeoutMs?: number; testNamePattern?: string } = {}): Promise<E2eResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ulb-e2e-report-'));
  const report = join(dir, 'report.json');
  const args = [
    '--no-warnings=ExperimentalWarning',
    '--experimental-vm-modules',
    join(REPO_ROOT, 'node_modules/jest/bin/jest.js'),
    'test/e2e/broker.e2e.test.ts',
    '--ci',
    '--runInBand',
    '--reporters=default',
    '--json',
    `--outputFile=${report}`,
    ...(options.bail ? ['--bail'] : []),
    ...(options.testNamePattern ? [`--testNamePattern=${options.testNamePattern}`] : []),
  ];
  const output = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: REPO_ROOT,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/nonexistent', BROKER_LOG_LEVEL: 'silent', E2E: '1', ...env },
      },
      (_error, stdout, stderr) => resolve(`${stdout}${stderr}`),
    );
  });
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    const failures = (json.testResults ?? []).flatMap((file: any) =>
      (file.assertionResults ?? []).filter((a: any) => a.status === 'failed').map((a: any) => `${a.title}: ${String(a.failureMessages?.[0] ?? '').split('\n').slice(0, 3).join(' ')}`),
    );
    if (json.numTotalTests === 0 && json.testResults?.[0]?.message) failures.push(String(json.testResults[0].message).slice(0, 600));
    return { ok: json.success === true, passed: json.numPassedTests, failed: json.numFailedTests, total: json.numTotalTests, failures, output };
  } catch {
    return { ok: false, passed: 0, failed: 0, total: 0, failures: ['jest wrote no report'], output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
