/** Plain-text tables and the PASS/FAIL lines. */

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
