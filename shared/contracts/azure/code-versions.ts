import { ConflictError, ResourceNotFoundError } from '../../errors.js';
import { azureTenant, leasesOf, mayTouchLease, requireTenant } from '../../auth/tenancy.js';
import { callerOf, type HttpFn } from '../../api/chain.js';
import { json } from '../../http/respond.js';
import { logKeys } from '../../log.js';
import { consumeLease, updateConsumer, type ConsumeDeps } from '../../lease/consume.js';
import type { ContainerPresigner, NameClaims, UploadPresigner } from '../../lease/ports.js';
import { attributesOf, codeVersionResource, consumerFor, leaseIdOfCodeUri, readCodeVersion } from './code-version-resource.js';
import { parseAzureTarget } from './request.js';
import { claimNameOf, claimThenConsume, existingVersion } from './version-claims.js';

export interface CodeVersionDeps extends ConsumeDeps {
  readonly claims: NameClaims;
  readonly presigner: UploadPresigner;
  /** The Blob front's containers, when it is on (their codeUris name a container). */
  readonly containers?: ContainerPresigner;
}

/**
 * Create-or-update a code version (ARM PUT): create consumes the uploaded lease its codeUri names (201),
 * under the version's name claim (version-claims.ts); update of an existing version keeps its code and
 * replaces what ARM lets change (200).
 */
export function azureCreateCodeVersionHandler(deps: CodeVersionDeps): HttpFn {
  return async (event, context) => {
    const t = parseAzureTarget(event);
    const tenant = azureTenant(t);
    const caller = callerOf(context);
    requireTenant(caller, tenant);
    const body = readCodeVersion(event);
    const leaseId = leaseIdOfCodeUri(deps.presigner, deps.containers, body.codeUri);
    logKeys({ leaseId });
    const now = deps.clock.now();
    const name = claimNameOf(t);
    const current = await existingVersion(deps, t);

    if (current.lease) {
      if (current.lease.leaseId !== leaseId) throw new ConflictError('The code version exists with another codeUri; the code of a version cannot change.');
      const updated = await updateConsumer(deps, current.lease, consumerFor(t, name, body, { createdAt: attributesOf(current.lease).createdAt, lastModifiedAt: now }));
      if (!updated) throw new ConflictError('The code version changed while it was being updated; retry the request.');
      return json(200, codeVersionResource(deps.presigner, t, updated));
    }

    const consumed = await claimThenConsume(deps, t, leaseId, current.claim, now, () =>
      consumeLease(deps, leaseId, leasesOf(caller, tenant), consumerFor(t, name, body, { createdAt: now, lastModifiedAt: now }), { idempotent: true }),
    );
    return json(201, codeVersionResource(deps.presigner, t, consumed));
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
    return json(200, codeVersionResource(deps.presigner, t, lease));
  };
}
