/** Handler section: runs bench/handlers.ts at both stub depths, prints one table and judges the send-stub figures. */
import { ISSUING_SURFACES } from '../fixtures.js';
import { benchHandlers, type HandlerLevelResult } from '../handlers.js';
import { table, type Reporter } from '../report.js';
import type { HandlerSectionResult } from '../results-file.js';
import { TARGETS, type BenchSettings } from '../settings.js';

export async function handlerSection(settings: Pick<BenchSettings, 'handler' | 'handlerWire'>, report: Reporter): Promise<HandlerSectionResult> {
  report.progress('handler: DynamoDB stubbed at DocumentClient#send');
  const send = await benchHandlers({ level: 'send', ...settings.handler });
  report.progress('handler: DynamoDB stubbed at the HTTP handler (SDK stack included)');
  const wire = await benchHandlers({ level: 'wire', ...settings.handlerWire });
  printHandlers(send, wire, report);
  judgeHandlers(send, report);
  return { stub: 'send', azure: send.azure, alibaba: send.alibaba, sdkStackIncluded: { stub: 'wire', ...wire } };
}

function printHandlers(send: HandlerLevelResult, wire: HandlerLevelResult, report: Reporter): void {
  const rows = (level: string, r: HandlerLevelResult) =>
    ISSUING_SURFACES.map((s) => [`${s} (${level})`, r[s].ours.p50Ms, r[s].ours.p99Ms, r[s].naive.p50Ms, r[s].naive.p99Ms, r[s].speedupP50, r[s].ours.samples]);
  report.log(
    table(
      'Handler CPU per lease, ms per invocation (per-call hrtime after warmup, ours/naive in alternating batches)',
      ['contract (DynamoDB stub)', 'ours p50', 'ours p99', 'naive p50', 'naive p99', 'speedup p50', 'samples'],
      [...rows('send stub', send), ...rows('wire stub, info', wire)],
    ),
  );
  report.log('send stub = DocumentClient#send resolves at once; wire stub = HTTP handler answers, whole SDK DynamoDB stack runs (informational).');
}

function judgeHandlers(send: HandlerLevelResult, report: Reporter): void {
  for (const s of ISSUING_SURFACES) {
    const r = send[s];
    report.target(`handler ${s} p50 <= ${TARGETS.handlerMaxP50Ms} ms`, r.ours.p50Ms <= TARGETS.handlerMaxP50Ms, `${r.ours.p50Ms} ms (p99 ${r.ours.p99Ms} ms)`);
    report.target(`handler ${s} >= ${TARGETS.handlerMinSpeedup}x naive (p50)`, r.speedupP50 >= TARGETS.handlerMinSpeedup, `${r.speedupP50}x (${r.naive.p50Ms} vs ${r.ours.p50Ms} ms)`);
  }
}
