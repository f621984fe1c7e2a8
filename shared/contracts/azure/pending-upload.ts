import { newGuid, scopedLeaseId } from '../../ids.js';
import { azureTenant, leaseScope, requireTenant, type AzureTenant } from '../../auth/tenancy.js';
import { callerOf, type HttpFn } from '../../api/chain.js';
import { logKeys } from '../../log.js';
import { json } from '../../http/respond.js';
import { containerKeyFor, objectKeyFor } from '../../lease/keys.js';
import { issueLease, type IssuedLease, type LeaseEngineDeps } from '../../lease/engine.js';
import { parseAzureRequest, type AzureRequest } from './request.js';

/** The S3 bucket stands in for the storage account: its ARN is the "storage account ARM id". */
export function bucketArn(bucket: string, region: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:s3:::${bucket}`;
}

/**
 * Create-or-get key: the tenant (names ARM compares case-insensitively, lower-cased by azureTenant),
 * then code name and version, case-sensitive as the contract says, then the pending upload id.
 */
export function azureLeaseKey(tenant: AzureTenant, request: AzureRequest, pendingUploadId: string): string[] {
  return ['azure-ml', tenant.subscriptionId, tenant.resourceGroupName, tenant.parentKind, tenant.parentName, request.name, request.version, pendingUploadId];
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

export function azureStartPendingUploadHandler(deps: LeaseEngineDeps): HttpFn {
  const storageAccountArmId = bucketArn(deps.config.bucketName, deps.config.region);
  return async (event, context) => {
    const request = parseAzureRequest(event);
    const tenant = azureTenant(request);
    requireTenant(callerOf(context), tenant);
    const pendingUploadId = request.pendingUploadId ?? newGuid();
    const leaseId = scopedLeaseId(azureLeaseKey(tenant, request, pendingUploadId));
    logKeys({ leaseId });
    const issued = await issueLease(
      deps,
      {
        leaseId,
        contract: 'azure-ml',
        scope: leaseScope(tenant, [request.name, request.version]),
        // Blob front: a container the official clients write any number of blobs into; else one presigned object.
        objectKey: deps.config.azureUploads === 'blob-front' ? containerKeyFor(leaseId) : objectKeyFor(leaseId, `${request.name}-${request.version}`),
        pendingUploadId,
      },
      { createOrGet: true },
    );
    return json(200, responseBody(issued, storageAccountArmId), { 'x-lease-id': leaseId });
  };
}
