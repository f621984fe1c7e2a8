import { globSync, readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';

/**
 * The committed mutation report (`npm run test:mutation`) is the one of the code as it is: every file
 * Stryker mutates is in it with exactly its current source, and it meets the bar set for the security
 * boundary and the lease engine (95 % overall, 85 % per file). A change to a mutated file fails here
 * until the report is regenerated on it.
 */
interface Mutant {
  readonly status: string;
}
const report = JSON.parse(readFileSync('reports/mutation/mutation.json', 'utf8')) as { files: Record<string, { source: string; mutants: Mutant[] }> };
const { default: stryker } = (await import(new URL('../../stryker.config.mjs', import.meta.url).href)) as { default: { mutate: string[] } };
const mutated = [...new Set(stryker.mutate.flatMap((pattern) => globSync(pattern)))].sort();

const detected = (mutants: readonly Mutant[]) => mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
const scored = (mutants: readonly Mutant[]) => mutants.filter((m) => ['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(m.status)).length;
const score = (mutants: readonly Mutant[]) => (100 * detected(mutants)) / scored(mutants);

describe('the committed mutation report', () => {
  // Stryker leaves out a file with nothing to mutate: declarations only.
  const holdsCode = (file: string) => /^(export )?(async )?(function|const|let|class) /m.test(readFileSync(file, 'utf8'));
  const inReport = mutated.filter(holdsCode);

  test('covers exactly the files Stryker mutates that hold code', () => {
    expect(inReport.length).toBeGreaterThan(40);
    expect(Object.keys(report.files).sort()).toEqual(inReport);
  });

  test.each(inReport)('%s: the report holds its current source', (file) => {
    expect(report.files[file]?.source).toBe(readFileSync(file, 'utf8'));
  });

  test('scores at least 95 % overall and 85 % in every file', () => {
    const all = Object.values(report.files).flatMap((f) => f.mutants);
    expect(score(all)).toBeGreaterThanOrEqual(95);
    const below = Object.entries(report.files)
      .filter(([, f]) => scored(f.mutants) > 0 && score(f.mutants) < 85)
      .map(([file, f]) => `${file} ${score(f.mutants).toFixed(1)} %`);
    expect(below).toEqual([]);
  });
});
