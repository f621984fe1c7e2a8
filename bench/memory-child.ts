/**
 * Runs in a fresh process (spawned by bench/memory.ts): RSS and heap after init, after a short
 * warm-up (W calls per contract), after N stubbed invocations of the Azure handler and after N of the
 * Alibaba handler. Prints one JSON line.
 * Usage: node --expose-gc --import tsx bench/memory-child.ts <invocations> <send|wire> [warmup]
 */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { createBrokerDeps } from '../shared/runtime.js';
import { benchConfig, CREDENTIALS, eventFor, ISSUING_OPERATION, ISSUING_SURFACES, lambdaContext, type IssuingSurface } from './fixtures.js';
import { stubDocumentSend, stubWire, type StubLevel } from './stubs.js';
import { handlerFor } from '../test/support/handlers.js';

process.env.BROKER_LOG_LEVEL = 'silent';
const invocations = Number(process.argv[2] ?? 10_000);
const level = (process.argv[3] ?? 'wire') as StubLevel;
const warmup = Number(process.argv[4] ?? 1000);
const gc = (globalThis as { gc?: () => void }).gc;

function snapshot() {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const h = getHeapStatistics();
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    heapPhysicalBytes: h.total_physical_size,
    mallocedBytes: h.malloced_memory,
    codeBytes: getHeapSpaceStatistics().find((s) => s.space_name === 'code_space')?.space_used_size ?? 0,
  };
}

const deps = createBrokerDeps(benchConfig(), { credentials: CREDENTIALS });
if (level === 'send') stubDocumentSend();
else stubWire(deps.ddb);
const handlers = { azure: handlerFor(ISSUING_OPERATION.azure, deps), alibaba: handlerFor(ISSUING_OPERATION.alibaba, deps) };
// One call each so "init" includes what a Lambda has after its first request (lazy SDK state).
for (const s of ISSUING_SURFACES) await handlers[s](eventFor(s), lambdaContext(s));
const init = snapshot();

async function run(surface: IssuingSurface, n = invocations) {
  const handler = handlers[surface];
  for (let i = 0; i < n; i++) {
    const res = await handler(eventFor(surface), lambdaContext(surface));
    if (res.statusCode !== 200) throw new Error(`${surface}: ${res.statusCode} ${res.body}`);
  }
  return snapshot();
}

await run('azure', warmup);
const warm = await run('alibaba', warmup);
const afterAzure = await run('azure');
const afterAlibaba = await run('alibaba');
process.stdout.write(`${JSON.stringify({ gcExposed: gc !== undefined, invocations, warmup, level, init, warm, afterAzure, afterAlibaba })}\n`);
