import { contentTypeForFileName } from '../../content-types.js';
import { alibabaTenant, leaseScope, requireTenant } from '../../auth/tenancy.js';
import { callerOf, type HttpFn } from '../../api/chain.js';
import { logKeys } from '../../log.js';
import { json } from '../../http/respond.js';
import { newAlibabaLeaseId } from '../../ids.js';
import { objectKeyFor } from '../../lease/keys.js';
import { issueLease, type LeaseEngineDeps } from '../../lease/engine.js';
import type { RateLimiter } from '../../lease/ports.js';
import { parseAlibabaRequest } from './request.js';

/** Not idempotent: every call is a new lease, as the contract says. */
export function alibabaApplyFileUploadLeaseHandler(deps: LeaseEngineDeps & { alibabaRateLimiter: RateLimiter }): HttpFn {
  return async (event, context) => {
    const request = parseAlibabaRequest(event);
    const tenant = alibabaTenant(request.workspaceId);
    requireTenant(callerOf(context), tenant);
    // The real service allows 10 calls per second per workspace; so do we (ALIBABA_RATE_LIMIT_PER_SECOND).
    await deps.alibabaRateLimiter.take(`alibaba#${request.workspaceId}`, deps.clock.now());
    const leaseId = newAlibabaLeaseId(deps.clock.now());
    logKeys({ leaseId });
    const issued = await issueLease(
      deps,
      {
        leaseId,
        contract: 'alibaba-model-studio',
        scope: leaseScope(tenant, [request.categoryId]),
        objectKey: objectKeyFor(leaseId, request.fileName),
        fileName: request.fileName,
        declaredSize: request.sizeInBytes,
        declaredMd5: request.md5,
        contentType: contentTypeForFileName(request.fileName)!,
      },
      { createOrGet: false },
    );
    const body = {
      Code: 'Success',
      Data: {
        FileUploadLeaseId: leaseId,
        Param: { Method: 'PUT', Url: issued.uploadUrl, Headers: issued.uploadHeaders },
        Type: 'HTTP',
      },
      Message: 'success',
      RequestId: context.brokerRequestId,
      Status: '200',
      Success: true,
    };
    return json(200, body, { 'x-lease-id': leaseId });
  };
}
