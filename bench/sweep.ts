/**
 * Sweep throughput: N due leases, each with its object, in the local mode's emulators (DynamoDB and
 * S3 in this process, S3 checking every signature), expired by the sweep and by the one-by-one
 * baseline, one after the other on fresh leases; leases per second for each, and a check afterwards
 * that every object is gone and every lease EXPIRED.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalBroker, type LocalBroker } from '../local/server.js';
import { recordExpiryFor, type LeaseRecord } from '../shared/lease/model.js';
import { sweepDueLeases } from '../shared/lease/sweep.js';
import { round } from './stats.js';
import { sweepOneByOne } from './naive/sweep-one-by-one.js';

export interface SweepRun {
  readonly leases: number;
  readonly seconds: number;
  readonly leasesPerSecond: number;
  /** Every lease EXPIRED and every object gone afterwards. */
  readonly verified: boolean;
}

export interface SweepResult {
  readonly leases: number;
  /** Added to every DynamoDB and S3 request of the judged runs (a same-region round trip on AWS). */
  readonly latencyMs: number;
  readonly ours: SweepRun;
  readonly oneByOne: SweepRun;
  readonly speedup: number;
  /** The same two sweeps with the emulators' own microsecond answers: CPU-bound, informational. */
  readonly withoutLatency: { readonly ours: SweepRun; readonly oneByOne: SweepRun; readonly speedup: number };
}

/**
 * The emulators answer in microseconds from this very process, so a sweep here is bound by their CPU;
 * on AWS it is bound by round trips of a few milliseconds each, which is what batching and concurrency
 * are for. The judged runs add this latency to every request of both sweeps (SDK middleware).
 */
export const MODELLED_LATENCY_MS = 5;

function withLatency(broker: LocalBroker, ms: number): () => void {
  // Two client types, one middleware: typed loosely here, it only delays and passes on.
  type Stack = { add(middleware: unknown, options: unknown): void; remove(name: string): boolean };
  const clients: Array<{ middlewareStack: Stack }> = [broker.deps.ddb as never, broker.deps.s3 as never];
  const name = 'benchModelledLatency';
  const delay = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return next(args);
  };
  for (const client of clients) client.middlewareStack.add(delay, { step: 'finalizeRequest', name });
  return () => {
    for (const client of clients) client.middlewareStack.remove(name);
  };
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** N UPLOADED leases an hour past their retention, each with a small object under its key. */
async function seed(broker: LocalBroker, n: number): Promise<LeaseRecord[]> {
  const now = Date.now();
  const leases: LeaseRecord[] = Array.from({ length: n }, () => {
    const leaseId = randomBytes(16).toString('hex');
    const dueAt = now - 3_600_000;
    return {
      leaseId,
      contract: 'azure-ml',
      scope: 'bench/rg/workspaces/ws/code/1/p',
      objectKey: `tmp/${leaseId}/code-1`,
      status: 'UPLOADED',
      createdAt: dueAt - 43_200_000,
      urlExpiresAt: dueAt - 43_000_000,
      uploadedAt: dueAt - 43_200_000,
      sequencer: '0A',
      size: 4,
      eTag: 'e',
      retainUntil: dueAt,
      dueAt,
      recordExpiresAt: recordExpiryFor(dueAt, broker.config),
    };
  });
  await inParallel(leases, 32, async (lease) => {
    await broker.deps.s3.send(new PutObjectCommand({ Bucket: broker.config.bucketName, Key: lease.objectKey, Body: 'data' }));
    await broker.deps.store.putNew(lease);
  });
  await broker.eventsSettled();
  return leases;
}

async function verify(broker: LocalBroker, leases: readonly LeaseRecord[]): Promise<boolean> {
  let ok = true;
  await inParallel(leases, 32, async (lease) => {
    const now = await broker.deps.store.get(lease.leaseId);
    if (now?.status !== 'EXPIRED' || (await broker.deps.objects.head(lease.objectKey))) ok = false;
  });
  return ok;
}

async function timed(broker: LocalBroker, n: number, sweep: () => Promise<unknown>): Promise<SweepRun> {
  const leases = await seed(broker, n);
  const start = performance.now();
  await sweep();
  const seconds = (performance.now() - start) / 1000;
  return { leases: n, seconds: round(seconds, 2), leasesPerSecond: round(n / seconds, 1), verified: await verify(broker, leases) };
}

export async function benchSweep(options: { leases: number; latencyMs?: number }): Promise<SweepResult> {
  const latencyMs = options.latencyMs ?? MODELLED_LATENCY_MS;
  const dataDir = mkdtempSync(join(tmpdir(), 'ulb-bench-sweep-'));
  // Upload events are not handed to the event handler: the seeded leases are UPLOADED already.
  const broker = await startLocalBroker({ dataDir, port: 0, sweepIntervalSeconds: 0, deliverS3Events: false, env: { BROKER_LOG_LEVEL: 'silent' } });
  try {
    const pair = async (latency: number) => {
      const run = (sweep: () => Promise<unknown>) =>
        timed(broker, options.leases, async () => {
          const stop = latency > 0 ? withLatency(broker, latency) : () => undefined;
          try {
            await sweep();
          } finally {
            stop();
          }
        });
      const oneByOne = await run(() => sweepOneByOne(broker.deps));
      const ours = await run(() => sweepDueLeases(broker.deps));
      return { ours, oneByOne, speedup: round(ours.leasesPerSecond / oneByOne.leasesPerSecond, 2) };
    };
    const withoutLatency = await pair(0);
    const judged = await pair(latencyMs);
    return { leases: options.leases, latencyMs, ...judged, withoutLatency };
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
