/** Cost section: runs bench/cost.ts, prints requests and USD per issuing surface and judges them. */
import { benchCost, JUSTIFIED_READS, type CostResult } from '../cost.js';
import { ISSUING_SURFACES, type IssuingSurface } from '../fixtures.js';
import { table, type Reporter } from '../report.js';
import { round } from '../stats.js';

type Figures = CostResult['contracts'][IssuingSurface]['ours'];

export async function costSection(lifecycles: number, report: Reporter): Promise<CostResult> {
  report.progress(`cost: ${lifecycles} lifecycles per contract through the local mode, ours then the naive baseline`);
  const c = await benchCost({ lifecycles });
  for (const surface of ISSUING_SURFACES) {
    const { ours, naive } = c.contracts[surface];
    printRequests(c, surface, ours, naive, report);
    printCost(c, surface, ours, naive, report);
    judgeCost(surface, ours, naive, report);
  }
  return c;
}

const sumOf = (o: Partial<Record<string, number>>) => round(Object.values(o).reduce((a: number, b) => a + (b ?? 0), 0), 3);

function printRequests(c: CostResult, surface: IssuingSurface, ours: Figures, naive: Figures, report: Reporter): void {
  const keys = [...new Set([...Object.keys(ours.requests), ...Object.keys(naive.requests)])].sort();
  report.log(
    table(
      `Requests per ${surface} lease lifecycle (issue, PUT, verify, 12 h, expire; ${c.lifecycles} lifecycles counted at the SDK clients)`,
      ['request', 'ours', 'naive'],
      [
        ...keys.map((k) => [k, ours.requests[k] ?? 0, naive.requests[k] ?? 0]),
        ['DynamoDB + S3 requests', round(ours.dynamodbRequests + ours.s3Requests, 3), round(naive.dynamodbRequests + naive.s3Requests, 3)],
        ['DynamoDB read units', ours.readUnits, naive.readUnits],
        ['DynamoDB write units (table + due index)', round(ours.writeUnits + ours.indexWriteUnits, 3), round(naive.writeUnits + naive.indexWriteUnits, 3)],
        ['Lambda invocations', sumOf(ours.lambdaInvocations), sumOf(naive.lambdaInvocations)],
        ['EventBridge events + pipe requests', round(ours.events + ours.pipeRequests, 3), round(naive.events + naive.pipeRequests, 3)],
        ['log bytes', ours.logBytes, naive.logBytes],
      ],
    ),
  );
}

function printCost(c: CostResult, surface: IssuingSurface, ours: Figures, naive: Figures, report: Reporter): void {
  const share = (s: number) => `${Math.round(s * 100)}%`;
  report.log(
    table(
      `Cost per 1 million ${surface} uploads, USD (us-east-1 list prices of ${c.pricesAsOf}, bench/prices.ts; ${c.assumedUploadBytes / 1024 / 1024} MB kept 12 h each)`,
      ['service', 'ours', 'share', 'naive', 'share'],
      [
        ...ours.perMillion.map((line, i) => [line.service, line.usd, share(line.share), naive.perMillion[i]!.usd, share(naive.perMillion[i]!.share)]),
        ['total', ours.totalUsd, '', naive.totalUsd, ''],
      ],
    ),
  );
  for (const r of ours.reads.filter((x) => Object.hasOwn(JUSTIFIED_READS, x))) report.log(`  read left on the happy path: ${r}: ${JUSTIFIED_READS[r]}`);
}

/** Fewer requests than the naive lifecycle, and every read left on the happy path explained (JUSTIFIED_READS). */
function judgeCost(surface: IssuingSurface, ours: Figures, naive: Figures, report: Reporter): void {
  const oursRequests = ours.dynamodbRequests + ours.s3Requests;
  const naiveRequests = naive.dynamodbRequests + naive.s3Requests;
  report.target(
    `cost ${surface}: fewer DynamoDB + S3 requests per lifecycle than the naive baseline`,
    oursRequests < naiveRequests,
    `${round(oursRequests, 3)} vs ${round(naiveRequests, 3)}`,
  );
  const unexplained = ours.reads.filter((r) => !Object.hasOwn(JUSTIFIED_READS, r));
  report.target(
    `cost ${surface}: no happy-path read a conditional write or the index projection could replace`,
    unexplained.length === 0,
    unexplained.length ? `unexplained: ${unexplained.join(', ')}` : `${ours.reads.length} read(s) left, each explained`,
  );
}
