import { ForbiddenError } from '../errors.js';
import type { LeaseRecord } from '../lease/model.js';
import type { Caller } from './caller.js';

/**
 * Whose data something is: the one definition of a tenant, and the one rule of who may touch it. Every
 * handler asks here, whether it starts from a route (the tenant in the path) or from a lease (the tenant
 * recorded in its scope when it was issued).
 *
 * - Alibaba: a workspace. Ids compare exactly, as Alibaba's do.
 * - Azure: a workspace or a registry of a resource group of a subscription. ARM compares these names
 *   case-insensitively, so the tenant holds them lower-cased.
 */
export type Tenant =
  | { readonly kind: 'alibaba-workspace'; readonly workspaceId: string }
  | {
      readonly kind: 'azure-parent';
      readonly subscriptionId: string;
      readonly resourceGroupName: string;
      readonly parentKind: 'workspaces' | 'registries';
      readonly parentName: string;
    };

export type AzureTenant = Extract<Tenant, { kind: 'azure-parent' }>;

export const alibabaTenant = (workspaceId: string): Tenant => ({ kind: 'alibaba-workspace', workspaceId });

export const azureTenant = (t: Omit<AzureTenant, 'kind'>): AzureTenant => ({
  kind: 'azure-parent',
  subscriptionId: t.subscriptionId.toLowerCase(),
  resourceGroupName: t.resourceGroupName.toLowerCase(),
  parentKind: t.parentKind,
  parentName: t.parentName.toLowerCase(),
});

const partsOf = (tenant: Tenant): string[] =>
  tenant.kind === 'alibaba-workspace' ? [tenant.workspaceId] : [tenant.subscriptionId, tenant.resourceGroupName, tenant.parentKind, tenant.parentName];

/** The scope a lease records: its tenant's parts, then what the contract adds (category; code name and version). */
export const leaseScope = (tenant: Tenant, rest: readonly string[]): string => [...partsOf(tenant), ...rest].join('/');

/** The contract each kind of tenant issues leases under. */
const CONTRACT_OF: Record<Tenant['kind'], string> = { 'alibaba-workspace': 'alibaba-model-studio', 'azure-parent': 'azure-ml' };

/** The tenant a lease was issued to, parsed from its scope; undefined for a scope no handler writes. */
export function tenantOfLease(lease: Pick<LeaseRecord, 'contract' | 'scope'>): Tenant | undefined {
  const parts = lease.scope.split('/');
  if (lease.contract === CONTRACT_OF['alibaba-workspace'] && parts.length >= 2 && parts[0]) return alibabaTenant(parts[0]);
  if (lease.contract !== CONTRACT_OF['azure-parent'] || parts.length < 6) return undefined;
  const [subscriptionId, resourceGroupName, parentKind, parentName] = parts as [string, string, string, string];
  if (parentKind !== 'workspaces' && parentKind !== 'registries') return undefined;
  return azureTenant({ subscriptionId, resourceGroupName, parentKind, parentName });
}

const sameTenant = (a: Tenant, b: Tenant): boolean => a.kind === b.kind && partsOf(a).join('/') === partsOf(b).join('/');

/**
 * The one rule. An open caller (AUTH=none locally; iam/jwt deployments, where API Gateway admitted it)
 * may touch every tenant. An Alibaba key, the workspaces it lists. An Azure principal, every workspace
 * and registry of a granted subscription, and a registry granted on its own (never a workspace that
 * happens to share its name).
 */
export function mayTouchTenant(caller: Caller, tenant: Tenant): boolean {
  if (caller.kind === 'open') return true;
  if (tenant.kind === 'alibaba-workspace') return caller.kind === 'alibaba-key' && caller.workspaces.includes(tenant.workspaceId);
  if (caller.kind !== 'azure-principal') return false;
  if (caller.subscriptions.includes(tenant.subscriptionId)) return true;
  return tenant.parentKind === 'registries' && caller.registries.includes(`${tenant.subscriptionId}/${tenant.resourceGroupName}/${tenant.parentName}`);
}

/**
 * May the caller touch this lease (and the file or version made of it)? Its tenant must be one the
 * caller may touch and, when the request names a tenant in its path, that very tenant.
 */
export function mayTouchLease(caller: Caller, lease: Pick<LeaseRecord, 'contract' | 'scope'>, via?: Tenant): boolean {
  const owner = tenantOfLease(lease);
  return owner !== undefined && (via === undefined || sameTenant(owner, via)) && mayTouchTenant(caller, owner);
}

/** The lease predicate the lease engine's readers take (consume.ts): anything else reads as unknown. */
export const leasesOf = (caller: Caller, via?: Tenant) => (lease: Pick<LeaseRecord, 'contract' | 'scope'>) => mayTouchLease(caller, lease, via);

/** A route's tenant the caller may not touch is refused outright, in words the contract's clients know. */
export function requireTenant(caller: Caller, tenant: Tenant): void {
  if (mayTouchTenant(caller, tenant)) return;
  if (tenant.kind === 'alibaba-workspace') throw new ForbiddenError(`The access key may not use the workspace '${tenant.workspaceId}'.`);
  const who = caller.kind === 'azure-principal' ? `The client '${caller.principal}'` : 'The client';
  throw new ForbiddenError(`${who} does not have authorization to perform this action over scope '/subscriptions/${tenant.subscriptionId}'.`);
}
