import { LeaseNotFoundError, ValidationError, ConflictError } from '../../errors.js';
import { azureTenant } from '../../auth/tenancy.js';
import { scopedLeaseId } from '../../ids.js';
import type { ConsumeDeps } from '../../lease/consume.js';
import type { LeaseRecord } from '../../lease/model.js';
import type { Claim, NameClaims } from '../../lease/ports.js';
import type { AzureTarget } from './request.js';

/**
 * The name-claim protocol of code versions: a version's unique name is claimed first, then the lease
 * consumed. The lease is the truth (its `consumedBy` names the version), so a claim left by a crash
 * between the two is harmless and is taken over after STALE_CLAIM_MS.
 */
export interface VersionClaimDeps extends Pick<ConsumeDeps, 'store'> {
  readonly claims: NameClaims;
}

/** A claim nobody finished for this long (a crash between claim and consume) may be taken over. */
export const STALE_CLAIM_MS = 60_000;

/** The unique name of a code version, as ARM compares them: its tenant (lower-cased), then name and version. */
export function claimNameOf(t: AzureTarget): string {
  const p = azureTenant(t);
  return `azure-code-version#${scopedLeaseId([p.subscriptionId, p.resourceGroupName, p.parentKind, p.parentName, t.name, t.version])}`;
}

/** The lease a code version consumed (when it exists), and the claim on its name (when there is one). */
export async function existingVersion(deps: VersionClaimDeps, t: AzureTarget): Promise<{ lease?: LeaseRecord; claim?: Claim }> {
  const name = claimNameOf(t);
  const claim = await deps.claims.get(name);
  if (!claim) return {};
  const lease = await deps.store.get(claim.owner);
  const live = lease && lease.status === 'CONSUMED' && lease.consumedBy?.kind === 'azure-code-version' && lease.consumedBy.id === name;
  return live ? { lease, claim } : { claim };
}

/**
 * Claims the version's name for `leaseId` (unless it holds it already), then runs `consume`; a failed
 * consumption gives the name up again. Another request's fresh claim is a 409 to retry.
 */
export async function claimThenConsume(
  deps: VersionClaimDeps,
  t: AzureTarget,
  leaseId: string,
  claim: Claim | undefined,
  now: number,
  consume: () => Promise<LeaseRecord>,
): Promise<LeaseRecord> {
  const name = claimNameOf(t);
  const stale = claim && claim.owner !== leaseId ? claim : undefined;
  if (stale && now - stale.claimedAt < STALE_CLAIM_MS) throw new ConflictError('The code version is being created by another request; retry the request.');
  if (!claim || stale) {
    if (!(await deps.claims.claim(name, leaseId, now, stale))) throw new ConflictError('The code version is being created by another request; retry the request.');
  }
  try {
    return await consume();
  } catch (error) {
    await deps.claims.release(name, leaseId);
    if (error instanceof LeaseNotFoundError) {
      throw new ValidationError('The codeUri does not name a blob handed out by startPendingUpload in this workspace.', 'properties.codeUri', 'body');
    }
    throw error;
  }
}
