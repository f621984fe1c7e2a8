import { newGuid, scopedLeaseId } from '../../ids.js';
import { requireAzureParent } from '../../auth/access.js';
import type { ContractAuth } from '../../auth/contract-auth.js';
import { callerOf, httpHandler } from '../../http/handler.js';
import { logKeys } from '../../log.js';
import { json } from '../../http/respond.js';
import { objectKeyFor } from '../../keys.js';
import { issueLease, type IssuedLease, type LeaseEngineDeps } from '../../lease/engine.js';
import { azureEdge } from './edge.js';
import { parseAzureRequest, type AzureRequest } from './request.js';

/** The S3 bucket stands in for the storage account: its ARN is the "storage account ARM id". */
export function bucketArn(bucket: string, region: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:s3:::${bucket}`;
}

/**
 * Create-or-get scope. ARM treats subscription, resource group and parent names case-insensitively;
 * code name and version are case-sensitive, as the contract says.
 */
export function azureScope(request: AzureRequest, pendingUploadId: string): string[] {
  return [
    'azure-ml',
    request.subscriptionId.toLowerCase(),
    request.resourceGroupName.toLowerCase(),
    request.parentKind,
    request.parentName.toLowerCase(),
    request.name,
    request.version,
    pendingUploadId,
  ];
}

function responseBody(issued: IssuedLease, storageAccountArmId: string) {
  return {
    blobReferenceForConsumption: {
      blobUri: issued.objectUrl,
      storageAccountArmId,
      credential: { credentialType: 'SAS', sasUri: issued.uploadUrl },
    },
    pendingUploadId: issued.lease.pendingUploadId!,
    pendingUploadType: 'TemporaryBlobReference',
  };
}

export function azureStartPendingUploadHandler(deps: LeaseEngineDeps & { auth: ContractAuth }) {
  const storageAccountArmId = bucketArn(deps.config.bucketName, deps.config.region);
  return httpHandler(azureEdge, async (event, context) => {
    const request = parseAzureRequest(event);
    requireAzureParent(callerOf(context), request);
    const pendingUploadId = request.pendingUploadId ?? newGuid();
    const scope = azureScope(request, pendingUploadId);
    const leaseId = scopedLeaseId(scope);
    logKeys({ leaseId });
    const issued = await issueLease(
      deps,
      {
        leaseId,
        contract: 'azure-ml',
        scope: scope.slice(1, -1).join('/'),
        objectKey: objectKeyFor(leaseId, `${request.name}-${request.version}`),
        pendingUploadId,
      },
      { createOrGet: true },
    );
    return json(200, responseBody(issued, storageAccountArmId), { 'x-lease-id': leaseId });
  }, deps.auth.azure);
}
