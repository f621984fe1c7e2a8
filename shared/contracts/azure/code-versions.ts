import { ConflictError, LeaseNotFoundError, ResourceNotFoundError, ValidationError } from '../../errors.js';
import { validateCodeVersionRequest } from '../../generated/validators.js';
import { bodyText, header, mediaKind, parseJsonObject, requireMediaKind } from '../../http/request.js';
import { azureTenant, leasesOf, mayTouchLease, requireTenant } from '../../auth/tenancy.js';
import { callerOf, type HttpFn } from '../../api/chain.js';
import { json } from '../../http/respond.js';
import type { HttpEvent } from '../../http/types.js';
import { scopedLeaseId } from '../../ids.js';
import { leaseIdFromKey, TEMP_PREFIX } from '../../lease/keys.js';
import { logKeys } from '../../log.js';
import type { NameClaims } from '../../lease/ports.js';
import { consumeLease, updateConsumer, type ConsumeDeps } from '../../lease/consume.js';
import { STORED_PREFIX, type ConsumedBy, type LeaseRecord } from '../../lease/model.js';
import type { UploadPresigner } from '../../lease/ports.js';
import type { codeVersionRequestSchema } from '../../schemas/azure-code-versions.js';
import { validated } from '../../validation.js';
import { parseAzureTarget, type AzureTarget } from './request.js';

export interface CodeVersionDeps extends ConsumeDeps {
  readonly claims: NameClaims;
  readonly presigner: UploadPresigner;
}

/** A claim nobody finished for this long (a crash between claim and consume) may be taken over. */
export const STALE_CLAIM_MS = 60_000;

type CodeVersionBody = NonNullable<Awaited<ReturnType<typeof readCodeVersion>>>;

interface CodeVersionAttributes {
  resourceId: string;
  description: string | null;
  tags: Record<string, string | null>;
  properties: Record<string, string | null>;
  isAnonymous: boolean;
  isArchived: boolean;
  createdAt: number;
  lastModifiedAt: number;
}

/** ARM resource ids keep the caller's spelling; names compare case-insensitively except name and version. */
const resourceIdOf = (t: AzureTarget) =>
  `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroupName}/providers/Microsoft.MachineLearningServices/${t.parentKind}/${t.parentName}/codes/${t.name}/versions/${t.version}`;

/** The unique name of a code version, as ARM compares them: its tenant (lower-cased), then name and version. */
function claimNameOf(t: AzureTarget): string {
  const p = azureTenant(t);
  return `azure-code-version#${scopedLeaseId([p.subscriptionId, p.resourceGroupName, p.parentKind, p.parentName, t.name, t.version])}`;
}

function readCodeVersion(event: HttpEvent) {
  const text = bodyText(event);
  if (text.trim() === '') throw new ValidationError("The required parameter 'properties' is missing.", 'properties', 'body', 'missing');
  requireMediaKind(mediaKind(event), ['json', 'none'], header(event, 'content-type'));
  return validated<typeof codeVersionRequestSchema>(validateCodeVersionRequest, parseJsonObject(text, 'request body') ?? {}, 'body').properties;
}

/** The lease a codeUri names: the blob startPendingUpload handed out, or where it was moved when consumed. */
function leaseIdOfCodeUri(presigner: UploadPresigner, codeUri: string): string {
  const key = presigner.keyOfUrl(codeUri);
  const leaseId = key?.startsWith(TEMP_PREFIX)
    ? leaseIdFromKey(key)
    : key?.startsWith(STORED_PREFIX)
      ? leaseIdFromKey(TEMP_PREFIX + key.slice(STORED_PREFIX.length))
      : undefined;
  if (!leaseId) throw new ValidationError('The codeUri does not name a blob handed out by startPendingUpload.', 'properties.codeUri', 'body');
  return leaseId;
}

function resource(deps: CodeVersionDeps, t: AzureTarget, lease: LeaseRecord) {
  const a = lease.consumedBy!.attributes as unknown as CodeVersionAttributes;
  return {
    id: a.resourceId,
    name: t.version,
    type: `Microsoft.MachineLearningServices/${t.parentKind}/codes/versions`,
    properties: {
      // The permanent place the file moves to on consumption.
      codeUri: deps.presigner.objectUrl(lease.storedKey!),
      description: a.description,
      tags: a.tags,
      properties: a.properties,
      isAnonymous: a.isAnonymous,
      isArchived: a.isArchived,
      provisioningState: 'Succeeded',
    },
    systemData: { createdAt: new Date(a.createdAt).toISOString(), lastModifiedAt: new Date(a.lastModifiedAt).toISOString() },
  };
}

function consumerFor(t: AzureTarget, body: CodeVersionBody, times: { createdAt: number; lastModifiedAt: number }): ConsumedBy {
  const attributes: CodeVersionAttributes = {
    resourceId: resourceIdOf(t),
    description: body.description ?? null,
    tags: body.tags ?? {},
    properties: body.properties ?? {},
    isAnonymous: body.isAnonymous ?? false,
    isArchived: body.isArchived ?? false,
    ...times,
  };
  return { kind: 'azure-code-version', id: claimNameOf(t), attributes: attributes as unknown as Record<string, unknown> };
}

/** The lease a code version consumed, or undefined when the version does not exist (or a claim was left behind). */
async function existingVersion(deps: CodeVersionDeps, t: AzureTarget): Promise<{ lease?: LeaseRecord; claim?: { owner: string; claimedAt: number } }> {
  const claim = await deps.claims.get(claimNameOf(t));
  if (!claim) return {};
  const lease = await deps.store.get(claim.owner);
  const live = lease && lease.status === 'CONSUMED' && lease.consumedBy?.kind === 'azure-code-version' && lease.consumedBy.id === claimNameOf(t);
  return live ? { lease, claim } : { claim };
}

/**
 * Create-or-update a code version (ARM PUT): create consumes the uploaded lease its codeUri names (201);
 * update of an existing version keeps its code and replaces what ARM lets change (200). The unique name
 * is claimed first, then the lease consumed; the lease is the truth, so a claim left by a crash is
 * taken over after STALE_CLAIM_MS.
 */
export function azureCreateCodeVersionHandler(deps: CodeVersionDeps): HttpFn {
  return async (event, context) => {
    const t = parseAzureTarget(event);
    const tenant = azureTenant(t);
    const caller = callerOf(context);
    requireTenant(caller, tenant);
    const body = readCodeVersion(event);
    const leaseId = leaseIdOfCodeUri(deps.presigner, body.codeUri);
    logKeys({ leaseId });
    const now = deps.clock.now();
    const name = claimNameOf(t);
    const current = await existingVersion(deps, t);

    if (current.lease) {
      if (current.lease.leaseId !== leaseId) throw new ConflictError('The code version exists with another codeUri; the code of a version cannot change.');
      const previous = current.lease.consumedBy!.attributes as unknown as CodeVersionAttributes;
      const updated = await updateConsumer(deps, current.lease, consumerFor(t, body, { createdAt: previous.createdAt, lastModifiedAt: now }));
      if (!updated) throw new ConflictError('The code version changed while it was being updated; retry the request.');
      return json(200, resource(deps, t, updated));
    }

    const stale = current.claim && current.claim.owner !== leaseId ? current.claim : undefined;
    if (stale && now - stale.claimedAt < STALE_CLAIM_MS) throw new ConflictError('The code version is being created by another request; retry the request.');
    if (!current.claim || stale) {
      if (!(await deps.claims.claim(name, leaseId, now, stale))) throw new ConflictError('The code version is being created by another request; retry the request.');
    }
    try {
      const consumed = await consumeLease(deps, leaseId, leasesOf(caller, tenant), consumerFor(t, body, { createdAt: now, lastModifiedAt: now }), { idempotent: true });
      return json(201, resource(deps, t, consumed));
    } catch (error) {
      await deps.claims.release(name, leaseId);
      if (error instanceof LeaseNotFoundError) {
        throw new ValidationError('The codeUri does not name a blob handed out by startPendingUpload in this workspace.', 'properties.codeUri', 'body');
      }
      throw error;
    }
  };
}

export function azureGetCodeVersionHandler(deps: CodeVersionDeps): HttpFn {
  return async (event, context) => {
    const t = parseAzureTarget(event);
    const tenant = azureTenant(t);
    const caller = callerOf(context);
    requireTenant(caller, tenant);
    const { lease } = await existingVersion(deps, t);
    if (!lease || !mayTouchLease(caller, lease, tenant)) {
      throw new ResourceNotFoundError('code-version', `The code version '${t.name}:${t.version}' was not found.`);
    }
    logKeys({ leaseId: lease.leaseId });
    return json(200, resource(deps, t, lease));
  };
}
