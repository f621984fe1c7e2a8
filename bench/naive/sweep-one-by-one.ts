/**
 * The sweep as it was before it was made to scale, kept as the bench's baseline: the due index read
 * for ids only, then for each lease in turn a consistent GetItem, a DeleteObject and the conditional
 * UpdateItem, one after another.
 */
import { effectiveStatus, recordExpiryFor } from '../../shared/lease/model.js';
import type { SweepDeps } from '../../shared/lease/sweep.js';

export async function sweepOneByOne(deps: SweepDeps): Promise<{ examined: number; expired: number; failed: number }> {
  const now = deps.clock.now();
  let examined = 0;
  let expired = 0;
  let failed = 0;
  for (let shard = 0; shard < deps.store.dueShards; shard++) {
    for await (const page of deps.store.dueLeases(shard, now)) {
      for (const { leaseId } of page) {
        examined++;
        try {
          const lease = await deps.store.get(leaseId);
          if (!lease || lease.status === 'EXPIRED' || effectiveStatus(lease, now) !== 'EXPIRED') continue;
          await deps.objects.delete(lease.objectKey);
          const ok = await deps.store.transition(
            leaseId,
            { status: lease.status, sequencer: lease.sequencer ?? null, dueAt: lease.dueAt! },
            { status: 'EXPIRED', expiredAt: lease.dueAt!, recordExpiresAt: recordExpiryFor(now, deps.config) },
            ['dueAt'],
          );
          if (ok) expired++;
        } catch {
          failed++;
        }
      }
    }
  }
  return { examined, expired, failed };
}
