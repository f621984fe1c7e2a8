import { log } from '../log.js';
import { effectiveStatus, recordExpiryFor } from './model.js';
import { settleLease } from './settle.js';
import type { UploadDeps } from './uploads.js';

export type SweepDeps = UploadDeps;

export interface SweepReport {
  /** Due index entries looked at. */
  readonly examined: number;
  /** Leases this run moved to EXPIRED (a lease another writer changed first is not counted). */
  readonly expired: number;
  /** Consumed or deleted leases whose object move or deletion this run finished. */
  readonly settled: number;
  readonly failed: number;
}

/**
 * Deletes the objects of due leases and marks them EXPIRED. The object goes first: if its delete
 * fails the lease stays due and the next sweep tries again, so no file outlives its retention by more
 * than one sweep interval while S3 works. `expiredAt` records when the retention ended (the lease's
 * due time), not when this sweep happened to run.
 */
export async function sweepDueLeases(deps: SweepDeps): Promise<SweepReport> {
  const now = deps.clock.now();
  let examined = 0;
  let expired = 0;
  let settled = 0;
  let failed = 0;
  for await (const leaseId of deps.store.dueLeaseIds(now)) {
    examined++;
    try {
      const lease = await deps.store.get(leaseId);
      if (lease && (lease.status === 'CONSUMED' || lease.status === 'DELETED')) {
        // Object work a request could not finish (settle.ts).
        const left = await settleLease(deps, lease);
        if (left && left.dueAt === undefined) settled++;
        else failed++;
        continue;
      }
      if (!lease || lease.status === 'EXPIRED' || effectiveStatus(lease, now) !== 'EXPIRED') continue;
      await deps.objects.delete(lease.objectKey);
      const ok = await deps.store.transition(
        leaseId,
        { status: lease.status, sequencer: lease.sequencer ?? null, dueAt: lease.dueAt! },
        { status: 'EXPIRED', expiredAt: lease.dueAt!, recordExpiresAt: recordExpiryFor(now, deps.config) },
        ['dueAt'],
      );
      if (ok) expired++;
    } catch (error) {
      failed++;
      log.error('sweep could not expire lease; it stays due for the next sweep', { leaseId }, error);
    }
  }
  if (examined > 0) log.info('retention sweep', { examined, expired, settled, failed });
  return { examined, expired, settled, failed };
}
