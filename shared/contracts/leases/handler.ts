import { validateConsumeRequest, validateLeasePath } from '../../generated/validators.js';
import { bodyText, header, mediaKind, parseJsonObject, requireMediaKind } from '../../http/body.js';
import { mayReadLease } from '../../auth/access.js';
import type { Caller } from '../../auth/caller.js';
import type { ContractAuth } from '../../auth/contract-auth.js';
import { LeaseNotFoundError } from '../../errors.js';
import { callerOf, httpHandler } from '../../http/handler.js';
import type { HttpEvent } from '../../http/types.js';
import { logKeys } from '../../log.js';
import { json } from '../../http/respond.js';
import { consumeLease, type ConsumeDeps } from '../../lease/consume.js';
import { readLease, type LeaseEngineDeps } from '../../lease/engine.js';
import { currentKey, downloadUrlSeconds, effectiveStatus, hasReadableObject, toLeaseView, type LeaseRecord, type LeaseView } from '../../lease/model.js';
import type { consumeRequestSchema, leasePathSchema } from '../../schemas/leases.js';
import { validated } from '../../validation.js';
import { leasesEdge } from './edge.js';

type LeaseRouteDeps = Pick<LeaseEngineDeps, 'store' | 'clock' | 'presigner' | 'config'> & { readonly auth: ContractAuth };

/** A lease of a tenant the caller is not granted reads as unknown: its existence is not revealed. */
async function readCallersLease(deps: LeaseRouteDeps, leaseId: string, caller: Caller): Promise<LeaseRecord> {
  const lease = await readLease(deps, leaseId);
  if (!mayReadLease(caller, lease)) throw new LeaseNotFoundError(leaseId);
  return lease;
}

const leaseIdOf = (event: HttpEvent) => validated<typeof leasePathSchema>(validateLeasePath, event.pathParameters ?? {}, 'path').leaseId;

/** The view, with where the object is and a short-lived download URL while it can be read. */
async function viewWithDownload(deps: LeaseRouteDeps, record: LeaseRecord): Promise<LeaseView> {
  const now = deps.clock.now();
  const view = toLeaseView(record, now, deps.config.bucketName);
  // A URL serves its bytes for its whole lifetime: it ends with an uploaded lease's retention, and a
  // moved file's temporary object outlives every URL handed out for it (settle.ts).
  const seconds = downloadUrlSeconds(record, now, deps.config);
  if (hasReadableObject(effectiveStatus(record, now)) && seconds > 0) {
    view.downloadUrl = await deps.presigner.presignGet(currentKey(record), seconds, now);
  }
  return view;
}

const leaseResponse = (view: LeaseView) => json(200, view, { 'x-lease-id': view.leaseId, 'cache-control': 'no-store' });

export function getLeaseHandler(deps: LeaseRouteDeps) {
  return httpHandler(leasesEdge, async (event, context) => {
    const leaseId = leaseIdOf(event);
    logKeys({ leaseId });
    return leaseResponse(await viewWithDownload(deps, await readCallersLease(deps, leaseId, callerOf(context))));
  }, deps.auth.either);
}

/** For a consumer that speaks neither contract: the lease is used up and its file kept. */
export function consumeLeaseHandler(deps: LeaseRouteDeps & ConsumeDeps) {
  return httpHandler(leasesEdge, async (event, context) => {
    const leaseId = leaseIdOf(event);
    logKeys({ leaseId });
    const caller = callerOf(context);
    let consumer = 'broker';
    const text = bodyText(event);
    if (text.trim() !== '') {
      requireMediaKind(mediaKind(event), ['json', 'none'], header(event, 'content-type'));
      const body = validated<typeof consumeRequestSchema>(validateConsumeRequest, parseJsonObject(text, 'request body') ?? {}, 'body');
      consumer = body.consumer ?? consumer;
    }
    const consumed = await consumeLease(deps, leaseId, (lease) => mayReadLease(caller, lease), { kind: 'broker', id: consumer }, { idempotent: true });
    return leaseResponse(await viewWithDownload(deps, consumed));
  }, deps.auth.either);
}
