import { validateConsumeRequest, validateLeasePath } from '../../generated/validators.js';
import { bodyText, header, mediaKind, parseJsonObject, requireMediaKind } from '../../http/request.js';
import { leasesOf } from '../../auth/tenancy.js';
import { callerOf, type HttpFn } from '../../api/chain.js';
import type { HttpEvent } from '../../http/types.js';
import { logKeys } from '../../log.js';
import { json } from '../../http/respond.js';
import { consumeLease, readOwnLease, type ConsumeDeps } from '../../lease/consume.js';
import type { LeaseEngineDeps } from '../../lease/engine.js';
import { consumedBlobs, totalSize } from '../../lease/containers.js';
import { isContainerKey } from '../../lease/keys.js';
import { currentKey, downloadUrlSeconds, effectiveStatus, hasReadableObject, isStored, toLeaseView, type LeaseRecord, type LeaseView } from '../../lease/model.js';
import type { consumeRequestSchema, leasePathSchema } from '../../schemas/leases.js';
import { validated } from '../../validation.js';

type LeaseRouteDeps = Pick<LeaseEngineDeps, 'store' | 'clock' | 'presigner' | 'config'> & Pick<ConsumeDeps, 'objects'>;

const leaseIdOf = (event: HttpEvent) => validated<typeof leasePathSchema>(validateLeasePath, event.pathParameters ?? {}, 'path').leaseId;

/** The view, with where the object is and a short-lived download URL while it can be read. */
async function viewWithDownload(deps: LeaseRouteDeps, record: LeaseRecord): Promise<LeaseView> {
  const now = deps.clock.now();
  const view = toLeaseView(record, now, deps.config.bucketName);
  // A URL serves its bytes for its whole lifetime: it ends with an uploaded lease's retention, and a
  // moved file's temporary object outlives every URL handed out for it (settle.ts).
  const seconds = downloadUrlSeconds(record, now, deps.config);
  const readable = hasReadableObject(effectiveStatus(record, now));
  if (isContainerKey(record.objectKey)) {
    if (readable || record.status === 'PENDING') await addBlobs(deps, view, record, readable ? seconds : 0, now);
  } else if (readable && seconds > 0) {
    view.downloadUrl = await deps.presigner.presignGet(currentKey(record), seconds, now);
  }
  return view;
}

/**
 * A container's blobs as they are in S3 now (under its permanent prefix once moved), their total as
 * `size` (what was consumed, once consumed), and a download URL each while they can be read.
 */
async function addBlobs(deps: LeaseRouteDeps, view: LeaseView, record: LeaseRecord, seconds: number, now: number): Promise<void> {
  const prefix = currentKey(record);
  let blobs = await deps.objects.list(prefix);
  // Before the move, only what was consumed (copies under the permanent prefix are all of it, and newer).
  if (record.consumedAt !== undefined && !isStored(record)) blobs = consumedBlobs(blobs, record.consumedAt);
  view.blobs = await Promise.all(
    blobs.map(async (b) => ({
      name: b.key.slice(prefix.length),
      size: b.size,
      ...(seconds > 0 ? { downloadUrl: await deps.presigner.presignGet(b.key, seconds, now) } : {}),
    })),
  );
  view.size = totalSize(blobs);
}

const leaseResponse = (view: LeaseView) => json(200, view, { 'x-lease-id': view.leaseId, 'cache-control': 'no-store' });

/** A lease of a tenant the caller may not touch reads as unknown: its existence is not revealed. */
export function getLeaseHandler(deps: LeaseRouteDeps): HttpFn {
  return async (event, context) => {
    const leaseId = leaseIdOf(event);
    logKeys({ leaseId });
    return leaseResponse(await viewWithDownload(deps, await readOwnLease(deps, leaseId, leasesOf(callerOf(context)))));
  };
}

/** For a consumer that speaks neither contract: the lease is used up and its file kept. */
export function consumeLeaseHandler(deps: LeaseRouteDeps & ConsumeDeps): HttpFn {
  return async (event, context) => {
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
    const consumed = await consumeLease(deps, leaseId, leasesOf(caller), { kind: 'broker', id: consumer }, { idempotent: true });
    return leaseResponse(await viewWithDownload(deps, consumed));
  };
}
