/** Presign section: runs bench/presign.ts, prints its table and judges it. */
import { benchPresign, type PresignResult } from '../presign.js';
import { table, type Reporter } from '../report.js';
import { TARGETS, type BenchSettings } from '../settings.js';

export async function presignSection(settings: BenchSettings['presign'], report: Reporter): Promise<PresignResult> {
  report.progress('presign: identity check and interleaved rounds');
  const p = await benchPresign(settings);
  printPresign(p, report);
  judgePresign(p, report);
  return p;
}

function printPresign(p: PresignResult, report: Reporter): void {
  report.log(
    table(
      `Presign: µs per presigned PUT URL (median of ${p.roundsRun} interleaved rounds, ${p.batch} URLs per sample)`,
      ['case', 'ours µs', 'getSignedUrl µs', 'speedup', 'identical URLs'],
      (['alibaba', 'azure'] as const).map((c) => [
        c === 'alibaba' ? 'alibaba (type+md5+length signed)' : 'azure (no headers)',
        p.cases[c].ours.usPerUrl,
        p.cases[c].getSignedUrl.usPerUrl,
        p.cases[c].speedup,
        p.identity.filter((r) => r.case.startsWith(c)).every((r) => r.identical) ? 'yes' : 'NO',
      ]),
    ),
  );
  report.log(`identity checks: ${p.identity.map((r) => `${r.case} ${r.checked}/${r.identical ? r.checked : 'MISMATCH'}`).join(', ')}`);
}

function judgePresign(p: PresignResult, report: Reporter): void {
  for (const c of ['alibaba', 'azure'] as const) {
    const r = p.cases[c];
    report.target(`presign ${c} <= ${TARGETS.presignMaxUs} µs/URL`, r.ours.usPerUrl <= TARGETS.presignMaxUs, `${r.ours.usPerUrl} µs`);
    report.target(
      `presign ${c} >= ${TARGETS.presignMinSpeedup}x getSignedUrl`,
      r.speedup >= TARGETS.presignMinSpeedup,
      `${r.speedup}x (${r.getSignedUrl.usPerUrl} vs ${r.ours.usPerUrl} µs)`,
    );
  }
  report.target('presign URLs byte-identical to getSignedUrl', p.identical, p.identity.map((r) => `${r.case}:${r.identical ? 'same' : 'DIFFERENT'}`).join(' '));
}
