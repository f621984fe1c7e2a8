import { ForbiddenError } from '../errors.js';
import type { LeaseRecord } from '../lease/model.js';
import type { Caller } from './caller.js';

/** The parts of an Azure route that decide who may use it. */
export interface AzureParent {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly parentKind: 'workspaces' | 'registries';
  readonly parentName: string;
}

export function mayUseWorkspace(caller: Caller, workspaceId: string): boolean {
  return caller.kind === 'open' || (caller.kind === 'alibaba-key' && caller.workspaces.includes(workspaceId));
}

/** A granted subscription covers its workspaces and registries; a registry may also be granted alone. */
export function mayUseAzureParent(caller: Caller, t: AzureParent): boolean {
  if (caller.kind === 'open') return true;
  if (caller.kind !== 'azure-principal') return false;
  const subscription = t.subscriptionId.toLowerCase();
  if (caller.subscriptions.includes(subscription)) return true;
  return t.parentKind === 'registries' && caller.registries.includes(`${subscription}/${t.resourceGroupName}/${t.parentName}`.toLowerCase());
}

export function requireWorkspace(caller: Caller, workspaceId: string): void {
  if (!mayUseWorkspace(caller, workspaceId)) throw new ForbiddenError(`The access key may not use the workspace '${workspaceId}'.`);
}

export function requireAzureParent(caller: Caller, t: AzureParent): void {
  if (!mayUseAzureParent(caller, t)) {
    const who = caller.kind === 'azure-principal' ? `The client '${caller.principal}'` : 'The client';
    throw new ForbiddenError(`${who} does not have authorization to perform this action over scope '/subscriptions/${t.subscriptionId}'.`);
  }
}

/** Whose lease it is, from its scope (Alibaba: `<workspace>/<category>`; Azure: `sub/rg/kind/parent/name/version`). */
export function mayReadLease(caller: Caller, lease: LeaseRecord): boolean {
  if (caller.kind === 'open') return true;
  const parts = lease.scope.split('/');
  if (lease.contract === 'alibaba-model-studio') return mayUseWorkspace(caller, parts[0]!);
  const [subscriptionId, resourceGroupName, parentKind, parentName] = parts as [string, string, string, string];
  return mayUseAzureParent(caller, { subscriptionId, resourceGroupName, parentKind: parentKind as AzureParent['parentKind'], parentName });
}
