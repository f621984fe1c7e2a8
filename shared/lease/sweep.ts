import { log } from '../log.js';
import { DELETE_BATCH, type DueLease } from './ports.js';
import { effectiveStatus, isStored, recordExpiryFor, type LeaseRecord } from './model.js';
import { settleLease } from './settle.js';
import { deleteUnder } from './containers.js';
import type { UploadDeps } from './uploads.js';

export type SweepDeps = UploadDeps;

export interface SweepOptions {
  /** Conditional writes (and, separately, settlements) in flight at once, over all shards together. */
  readonly concurrency?: number;
  /** Epoch ms of the wall clock: no new page is started after it (a Lambda's remaining time). */
  readonly deadline?: number;
}

export interface SweepReport {
  /** Due index entries looked at. */
  readonly examined: number;
  /** Leases this run moved to EXPIRED (a lease another writer changed first is not counted). */
  readonly expired: number;
  /** Consumed or deleted leases whose object move or deletion this run finished. */
  readonly settled: number;
  readonly failed: number;
  /** True when the deadline stopped the run with due work left (the next run starts from it). */
  readonly stoppedEarly: boolean;
  /** Age of the oldest lease past due and not yet done after the run: 0 when none is left; undefined when unknown. */
  readonly retentionLagSeconds: number | undefined;
}

/**
 * In flight at once over all shards (32 a shard with the default 4): many shards share it rather than
 * multiply it, so requests do not queue for the SDK's sockets until they time out.
 */
export const DEFAULT_CONCURRENCY = 128;
/**
 * An unused PENDING lease is expired only once it has been due this long: an upload that started before
 * the URL expired may still be arriving (its event, retried by Lambda, a minute or two later).
 */
export const PENDING_SETTLE_MS = 30_000;

/** Entries the index may hold from before it projected what the sweep reads: those go the slow way. */
const hasProjection = (e: DueLease) => typeof e.status === 'string' && typeof e.objectKey === 'string';

/**
 * Whether the lease as it is now (a strongly consistent read) is still what the index entry showed and
 * is over: the due index is eventually consistent, and an object is deleted only on the record's word.
 * (A PENDING entry still within PENDING_SETTLE_MS never gets here; the record has the entry's due time.)
 */
function stillExpirable(entry: DueLease, fresh: LeaseRecord | undefined, now: number): boolean {
  if (!fresh || fresh.status !== entry.status || fresh.sequencer !== entry.sequencer || fresh.dueAt !== entry.dueAt) return false;
  return effectiveStatus(fresh, now) === 'EXPIRED';
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** One run's inputs and what it has done so far (the report's counts). */
interface SweepRun {
  readonly deps: SweepDeps;
  readonly now: number;
  /** Per shard: the run's concurrency shared by every shard. */
  readonly concurrency: number;
  readonly deadline: number;
  readonly counts: { examined: number; expired: number; settled: number; failed: number; stoppedEarly: boolean };
}

/**
 * Deletes the objects of due leases and marks them EXPIRED; finishes the object work of consumed and
 * deleted leases. Every shard of the due index is read in parallel, page by page (1,000 entries); the
 * index projects what is decided on. Per page: one strongly consistent BatchGetItem per 100 leases
 * confirms each is still what its entry showed and over (the index lags the table), then the objects
 * go, in one DeleteObjects, then each lease's conditional transition (on status, sequencer and due time),
 * with bounded concurrency. A failed delete or write leaves the lease due for the next run; a lease that
 * changed is left alone; nothing transitions twice. `expiredAt` records when the retention ended (the
 * lease's due time), not when this run happened.
 */
export async function sweepDueLeases(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepReport> {
  const run: SweepRun = {
    deps,
    now: deps.clock.now(),
    concurrency: Math.max(1, Math.floor((options.concurrency ?? DEFAULT_CONCURRENCY) / deps.store.dueShards)),
    deadline: options.deadline ?? Number.POSITIVE_INFINITY,
    counts: { examined: 0, expired: 0, settled: 0, failed: 0, stoppedEarly: false },
  };
  await Promise.all(Array.from({ length: deps.store.dueShards }, (_, shard) => sweepShard(run, shard)));
  const retentionLagSeconds = await retentionLag(deps);
  const report = { ...run.counts, retentionLagSeconds };
  if (report.examined > 0 || (retentionLagSeconds ?? 0) > 0) log.info('retention sweep', report);
  return report;
}

/** One shard of the due index, page by page until it is done or the deadline comes. */
async function sweepShard(run: SweepRun, shard: number): Promise<void> {
  const { counts, now } = run;
  try {
    for await (const page of run.deps.store.dueLeases(shard, now)) {
      if (Date.now() >= run.deadline) {
        counts.stoppedEarly = true;
        return;
      }
      counts.examined += page.length;
      const unprojected = page.filter((e) => !hasProjection(e));
      if (unprojected.length) {
        // An index still keys-only (docs/deploy.md: updating the index) would otherwise stop expiry silently.
        counts.failed += unprojected.length;
        log.error('due index entries without the projected attributes; migrate the index', { leases: unprojected.length });
      }
      const entries = page.filter(hasProjection);
      const expirable = entries.filter((e) => e.status === 'UPLOADED' || (e.status === 'PENDING' && e.dueAt <= now - PENDING_SETTLE_MS));
      await Promise.all([expireDue(run, expirable), settleDue(run, entries.filter((e) => e.status === 'CONSUMED' || e.status === 'DELETED'))]);
    }
  } catch (error) {
    counts.failed++;
    log.error('sweep could not read the due index; the rest of the shard waits for the next sweep', { shard }, error);
  }
}

/** Expires leases past their time: confirmed on a fresh read, their objects deleted in batches, then each transitioned. */
async function expireDue(run: SweepRun, candidates: readonly DueLease[]): Promise<void> {
  const { deps, counts, now } = run;
  for (let i = 0; i < candidates.length; i += DELETE_BATCH) {
    let batch = candidates.slice(i, i + DELETE_BATCH);
    let undeleted: Set<string>;
    try {
      const fresh = await deps.store.getMany(batch.map((e) => e.leaseId));
      batch = batch.filter((e) => stillExpirable(e, fresh.get(e.leaseId), now));
      if (batch.length === 0) continue;
      // A container lease's key is a prefix: everything under it goes (containers.ts).
      undeleted = await deleteUnder(deps.objects, batch.map((e) => e.objectKey));
    } catch (error) {
      counts.failed += batch.length;
      log.error('sweep could not delete a batch of objects; its leases stay due for the next sweep', { leases: batch.length }, error);
      continue;
    }
    await inParallel(batch, run.concurrency, (entry) => expireOne(run, entry, undeleted));
  }
}

async function expireOne(run: SweepRun, entry: DueLease, undeleted: ReadonlySet<string>): Promise<void> {
  const { deps, counts, now } = run;
  if (undeleted.has(entry.objectKey)) {
    counts.failed++;
    log.error('sweep could not delete an object; its lease stays due for the next sweep', { leaseId: entry.leaseId });
    return;
  }
  try {
    const done = await deps.store.transition(
      entry.leaseId,
      { status: entry.status, sequencer: entry.sequencer ?? null, dueAt: entry.dueAt },
      { status: 'EXPIRED', expiredAt: entry.dueAt, recordExpiresAt: recordExpiryFor(now, deps.config) },
      ['dueAt'],
    );
    if (done) counts.expired++;
  } catch (error) {
    counts.failed++;
    log.error('sweep could not expire lease; it stays due for the next sweep', { leaseId: entry.leaseId }, error);
  }
}

/** Finishes what consumed and deleted leases still owe (a move, a deletion), on their records as they are now. */
async function settleDue(run: SweepRun, entries: readonly DueLease[]): Promise<void> {
  const { deps, counts, now } = run;
  if (entries.length === 0) return;
  let fresh: Map<string, LeaseRecord>;
  try {
    // The whole record: the index does not project whether a consumed file has moved yet.
    fresh = await deps.store.getMany(entries.map((e) => e.leaseId));
  } catch (error) {
    counts.failed += entries.length;
    log.error('sweep could not read leases to settle; they stay due for the next sweep', { leases: entries.length }, error);
    return;
  }
  await inParallel(entries, run.concurrency, async (entry) => {
    const lease = fresh.get(entry.leaseId);
    // Settled or changed since the index saw it: nothing due here now.
    if (!lease || lease.dueAt === undefined || lease.dueAt > now) return;
    try {
      const left = await settleLease(deps, lease);
      // Done with what was due now (a move leaves its temporary object due later).
      if (left && (left.dueAt === undefined || isStored(left))) counts.settled++;
      else counts.failed++;
    } catch (error) {
      counts.failed++;
      log.error('sweep could not settle lease; it stays due for the next sweep', { leaseId: entry.leaseId }, error);
    }
  });
}

/** Age of the oldest lease still due, measured at the end of the run (so it includes what fell due meanwhile). */
async function retentionLag(deps: SweepDeps): Promise<number | undefined> {
  const end = deps.clock.now();
  try {
    const oldest = await deps.store.oldestDueAt(end);
    return oldest === undefined ? 0 : Math.max(0, Math.round((end - oldest) / 1000));
  } catch (error) {
    log.warn('retention lag unknown: the due index could not be read', {}, error);
    return undefined;
  }
}
