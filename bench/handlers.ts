/**
 * Handler section: CPU per lease of the real Azure and Alibaba handlers (as the Lambdas build them)
 * and of the naive baseline, with DynamoDB stubbed and static credentials. Per-invocation timings
 * (process.hrtime.bigint around one `await handler(event, context)`), after warmup, ours and naive in
 * alternating batches.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResult } from '../shared/http/types.js';
import type { BrokerContext } from '../shared/api/chain.js';
import { createBrokerDeps } from '../shared/runtime.js';
import { benchConfig, BUCKET, CREDENTIALS, eventFor, ISSUING_OPERATION, ISSUING_SURFACES, lambdaContext, REGION, TABLE, type IssuingSurface } from './fixtures.js';
import { naiveAlibabaHandler, naiveAzureHandler } from './naive/handlers.js';
import { sdkClient } from './presign.js';
import { percentileSorted, round, sortedCopy } from './stats.js';
import { stubDocumentSend, stubWire, type StubLevel } from './stubs.js';
import { handlerFor } from '../test/support/handlers.js';

type Invoke = (event: APIGatewayProxyEventV2, context: BrokerContext) => Promise<HttpResult>;

export interface HandlerPair {
  readonly ours: Invoke;
  readonly naive: Invoke;
}

/** Both implementations on both issuing surfaces, wired to stubbed DynamoDB at the given depth. */
export function buildHandlers(level: StubLevel): { handlers: Record<IssuingSurface, HandlerPair>; restore: () => void } {
  const deps = createBrokerDeps(benchConfig(), { credentials: CREDENTIALS });
  const ddb = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS });
  const s3 = sdkClient();
  const naiveDeps = { region: REGION, tableName: TABLE, bucketName: BUCKET, s3, ddb };
  let restore = () => undefined as void;
  if (level === 'send') restore = stubDocumentSend();
  else {
    stubWire(deps.ddb);
    stubWire(ddb);
  }
  return {
    handlers: {
      azure: { ours: handlerFor(ISSUING_OPERATION.azure, deps) as Invoke, naive: naiveAzureHandler(naiveDeps) as unknown as Invoke },
      alibaba: { ours: handlerFor(ISSUING_OPERATION.alibaba, deps) as Invoke, naive: naiveAlibabaHandler(naiveDeps) as unknown as Invoke },
    },
    restore,
  };
}

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly samples: number;
}

export interface SurfaceHandlerResult {
  readonly ours: LatencySummary;
  readonly naive: LatencySummary;
  /** naive p50 / ours p50, same run. */
  readonly speedupP50: number;
}

export type HandlerLevelResult = Record<IssuingSurface, SurfaceHandlerResult>;

async function runBatch(fn: Invoke, surface: IssuingSurface, n: number, out: number[] | undefined): Promise<void> {
  // Events and contexts are built outside the timed region.
  const events = Array.from({ length: n }, () => eventFor(surface));
  const contexts = Array.from({ length: n }, () => lambdaContext(`bench-${surface}`));
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const res = await fn(events[i]!, contexts[i]!);
    const t1 = process.hrtime.bigint();
    if (res.statusCode !== 200) throw new Error(`${surface}: status ${res.statusCode}: ${res.body}`);
    out?.push(Number(t1 - t0) / 1e6);
  }
}

const summary = (ms: number[]): LatencySummary => {
  const s = sortedCopy(ms);
  return {
    p50Ms: round(percentileSorted(s, 50), 4),
    p99Ms: round(percentileSorted(s, 99), 4),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length, 4),
    samples: ms.length,
  };
};

export async function benchHandlers(options: { level: StubLevel; warmup: number; samples: number; batch: number }): Promise<HandlerLevelResult> {
  const { handlers, restore } = buildHandlers(options.level);
  try {
    const result = {} as HandlerLevelResult;
    for (const surface of ISSUING_SURFACES) {
      const pair = handlers[surface];
      for (let done = 0; done < options.warmup; done += options.batch) {
        await runBatch(pair.ours, surface, options.batch, undefined);
        await runBatch(pair.naive, surface, options.batch, undefined);
      }
      const ours: number[] = [];
      const naive: number[] = [];
      for (let round = 0; ours.length < options.samples; round++) {
        const n = Math.min(options.batch, options.samples - ours.length);
        // A B B A ...: neither side always runs right after the other's garbage.
        if (round % 2 === 0) {
          await runBatch(pair.ours, surface, n, ours);
          await runBatch(pair.naive, surface, n, naive);
        } else {
          await runBatch(pair.naive, surface, n, naive);
          await runBatch(pair.ours, surface, n, ours);
        }
      }
      const o = summary(ours);
      const b = summary(naive);
      result[surface] = { ours: o, naive: b, speedupP50: round(b.p50Ms / o.p50Ms, 2) };
    }
    return result;
  } finally {
    restore();
  }
}
