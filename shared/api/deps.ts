import type { ContractAuth } from '../auth/contract-auth.js';
import type { LeaseEngineDeps } from '../lease/engine.js';
import type { NameClaims, RateLimiter, UploadedObjects } from '../lease/ports.js';

/** What the contracts' handlers are given: the lease engine's ports and the contracts' own (built by runtime.ts). */
export interface BrokerDeps extends LeaseEngineDeps {
  /** Per-workspace limit of the Alibaba contract. */
  readonly alibabaRateLimiter: RateLimiter;
  /** Unique consumer names (Azure code versions). */
  readonly claims: NameClaims;
  /** Each surface's own authentication (open unless the contracts' native schemes are on). */
  readonly auth: ContractAuth;
  /** HEAD and DELETE as presigned requests: consumers verify an upload on the spot (lease/uploads.ts). */
  readonly objects: UploadedObjects;
}
