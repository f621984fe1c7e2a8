import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Tests write the figures of docs/reliability.md themselves (docs/reliability.json holds the numbers;
 * the page is regenerated from it), so the report cannot go stale.
 */
const DIR = 'docs';
const DATA = join(DIR, 'reliability.json');

type Section = Record<string, unknown>;

function update(section: string, data: Section): void {
  if (process.env.UPDATE_RELIABILITY_REPORT === '0') return;
  mkdirSync(DIR, { recursive: true });
  let all: Record<string, Section> = {};
  try {
    all = JSON.parse(readFileSync(DATA, 'utf8'));
  } catch {
    all = {};
  }
  all[section] = { ...data, measuredAt: new Date().toISOString().slice(0, 10) };
  writeFileSync(DATA, `${JSON.stringify(all, null, 2)}\n`);
}

export function recordFuzzFigures(runsPerEndpoint: number, tally: Record<string, { runs: number; ok: number; status: Record<number, number> }>, leasesCreated: number) {
  update('badInput', { runsPerEndpoint, endpoints: tally, leasesCreated, fiveHundreds: Object.values(tally).reduce((n, t) => n + Object.entries(t.status).filter(([s]) => Number(s) >= 500).reduce((m, [, c]) => m + c, 0), 0) });
}

export function recordSection(section: string, data: Section) {
  update(section, data);
}
