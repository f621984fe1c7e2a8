import { validateLeasePath } from '../../generated/validators.js';
import { httpHandler } from '../../http/handler.js';
import { logKeys } from '../../log.js';
import { json } from '../../http/respond.js';
import { readLease, type LeaseEngineDeps } from '../../lease/engine.js';
import { toLeaseView } from '../../lease/model.js';
import type { leasePathSchema } from '../../schemas/leases.js';
import { validated } from '../../validation.js';
import { leasesEdge } from './edge.js';

export function getLeaseHandler(deps: Pick<LeaseEngineDeps, 'store' | 'clock'>) {
  return httpHandler(leasesEdge, async (event) => {
    const { leaseId } = validated<typeof leasePathSchema>(validateLeasePath, event.pathParameters ?? {}, 'path');
    logKeys({ leaseId });
    const record = await readLease(deps, leaseId);
    return json(200, toLeaseView(record, deps.clock.now()), { 'x-lease-id': leaseId, 'cache-control': 'no-store' });
  });
}
