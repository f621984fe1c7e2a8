/**
 * What the bench prints: plain-text tables on stdout, progress notes on stderr, and the PASS/FAIL lines
 * each section records and the run prints together at the end.
 */

export function table(title: string, headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.every((r) => typeof r[i] === 'number'));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [`\n${title}`, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export interface TargetLine {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

export const formatTarget = (t: TargetLine) => `${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.detail}`;

export const kb = (bytes: number) => (bytes / 1000).toFixed(1);

/** What a section is given to report through. */
export interface Reporter {
  /** A line of the report (stdout). */
  log(line: string): void;
  /** A progress note (stderr), not part of the report. */
  progress(line: string): void;
  /** Records a target's PASS/FAIL; printed with the others by printTargets. */
  target(name: string, pass: boolean, detail: string): void;
  /** The targets recorded so far, in order. */
  readonly targets: readonly TargetLine[];
}

export function consoleReporter(): Reporter {
  const targets: TargetLine[] = [];
  return {
    log: (line) => process.stdout.write(`${line}\n`),
    progress: (line) => process.stderr.write(`[bench] ${line}\n`),
    target: (name, pass, detail) => targets.push({ name, pass, detail }),
    targets,
  };
}

export function printTargets(report: Reporter): void {
  report.log('\nTargets');
  for (const t of report.targets) report.log(formatTarget(t));
}

/**
 * The command's exit code: a failed target fails it (CI and scripts see it); smoke-test counts are
 * not judged.
 */
export function verdict(report: Reporter, quick: boolean): number {
  const failed = report.targets.filter((t) => !t.pass);
  if (failed.length && !quick) {
    report.log(`${failed.length} target(s) FAILED`);
    return 1;
  }
  if (failed.length) report.log(`quick run: ${failed.length} target(s) below budget on smoke-test counts, not judged`);
  return 0;
}
