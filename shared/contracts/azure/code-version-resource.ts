import { ValidationError } from '../../errors.js';
import { validateCodeVersionRequest } from '../../generated/validators.js';
import { bodyText, header, mediaKind, parseJsonObject, requireMediaKind } from '../../http/request.js';
import type { HttpEvent } from '../../http/types.js';
import { leaseIdFromKey, TEMP_PREFIX } from '../../lease/keys.js';
import { STORED_PREFIX, type ConsumedBy, type LeaseRecord } from '../../lease/model.js';
import type { ContainerPresigner, UploadPresigner } from '../../lease/ports.js';
import type { codeVersionRequestSchema } from '../../schemas/azure-code-versions.js';
import { validated } from '../../validation.js';
import type { AzureTarget } from './request.js';

/** A code version as ARM describes it, mapped to and from the lease that holds its code. */

export type CodeVersionBody = ReturnType<typeof readCodeVersion>;

/** What a code version keeps beyond its code, on the lease that consumed it (`consumedBy.attributes`). */
export type CodeVersionAttributes = {
  readonly resourceId: string;
  readonly description: string | null;
  readonly tags: Record<string, string | null>;
  readonly properties: Record<string, string | null>;
  readonly isAnonymous: boolean;
  readonly isArchived: boolean;
  readonly createdAt: number;
  readonly lastModifiedAt: number;
};

/** ARM resource ids keep the caller's spelling; names compare case-insensitively except name and version. */
const resourceIdOf = (t: AzureTarget) =>
  `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroupName}/providers/Microsoft.MachineLearningServices/${t.parentKind}/${t.parentName}/codes/${t.name}/versions/${t.version}`;

export function readCodeVersion(event: HttpEvent) {
  const text = bodyText(event);
  if (text.trim() === '') throw new ValidationError("The required parameter 'properties' is missing.", 'properties', 'body', 'missing');
  requireMediaKind(mediaKind(event), ['json', 'none'], header(event, 'content-type'));
  return validated<typeof codeVersionRequestSchema>(validateCodeVersionRequest, parseJsonObject(text, 'request body') ?? {}, 'body').properties;
}

/**
 * The lease a codeUri names: the blob startPendingUpload handed out, where it was moved when consumed,
 * or (Blob front) the container or a directory in it, as azure-ai-ml joins them.
 */
export function leaseIdOfCodeUri(presigner: UploadPresigner, containers: ContainerPresigner | undefined, codeUri: string): string {
  const inContainer = containers?.leaseIdOfUrl(codeUri);
  if (inContainer) return inContainer;
  const key = presigner.keyOfUrl(codeUri);
  const leaseId = key?.startsWith(TEMP_PREFIX)
    ? leaseIdFromKey(key)
    : key?.startsWith(STORED_PREFIX)
      ? leaseIdFromKey(TEMP_PREFIX + key.slice(STORED_PREFIX.length))
      : undefined;
  if (!leaseId) throw new ValidationError('The codeUri does not name a blob handed out by startPendingUpload.', 'properties.codeUri', 'body');
  return leaseId;
}

/** The attributes a code version's consumer wrote (consumerFor); a lease's record keeps them untyped. */
export const attributesOf = (lease: LeaseRecord): CodeVersionAttributes => lease.consumedBy!.attributes as CodeVersionAttributes;

/** The ARM resource of the version a consumed lease holds. */
export function codeVersionResource(presigner: UploadPresigner, t: AzureTarget, lease: LeaseRecord) {
  const a = attributesOf(lease);
  return {
    id: a.resourceId,
    name: t.version,
    type: `Microsoft.MachineLearningServices/${t.parentKind}/codes/versions`,
    properties: {
      // The permanent place the file moves to on consumption.
      codeUri: presigner.objectUrl(lease.storedKey!),
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

/** The lease's consumer for a code version named `claimName`: what the version keeps beyond its code. */
export function consumerFor(t: AzureTarget, claimName: string, body: CodeVersionBody, times: { createdAt: number; lastModifiedAt: number }): ConsumedBy {
  const attributes: CodeVersionAttributes = {
    resourceId: resourceIdOf(t),
    description: body.description ?? null,
    tags: body.tags ?? {},
    properties: body.properties ?? {},
    isAnonymous: body.isAnonymous ?? false,
    isArchived: body.isArchived ?? false,
    ...times,
  };
  return { kind: 'azure-code-version', id: claimName, attributes };
}
