import { describe, expect, test } from '@jest/globals';
import { OPEN, type Caller } from '../../shared/auth/caller.js';
import { alibabaTenant, azureTenant, leaseScope, leasesOf, mayTouchLease, mayTouchTenant, requireTenant, tenantOfLease, type Tenant } from '../../shared/auth/tenancy.js';
import { ForbiddenError } from '../../shared/errors.js';

/** The one tenancy rule: who may touch which workspace, subscription, registry, and the leases issued to them. */
const key = (...workspaces: string[]): Caller => ({ kind: 'alibaba-key', accessKeyId: 'LTAIk', workspaces });
const principal = (subscriptions: string[], registries: string[] = []): Caller => ({ kind: 'azure-principal', principal: 'oid-p', subscriptions, registries });

const workspace = (name: string, sub = 'sub-a', rg = 'rg') => azureTenant({ subscriptionId: sub, resourceGroupName: rg, parentKind: 'workspaces', parentName: name });
const registry = (name: string, sub = 'sub-a', rg = 'rg') => azureTenant({ subscriptionId: sub, resourceGroupName: rg, parentKind: 'registries', parentName: name });
const alibabaLease = (scope: string) => ({ contract: 'alibaba-model-studio' as const, scope });
const azureLease = (tenant: Tenant, rest = ['code', '1']) => ({ contract: 'azure-ml' as const, scope: leaseScope(tenant, rest) });

describe('tenants', () => {
  test('an Azure tenant holds the names ARM compares case-insensitively in lower case; an Alibaba workspace as given', () => {
    expect(azureTenant({ subscriptionId: 'SUB-A', resourceGroupName: 'My-RG', parentKind: 'registries', parentName: 'Reg' })).toEqual({
      kind: 'azure-parent',
      subscriptionId: 'sub-a',
      resourceGroupName: 'my-rg',
      parentKind: 'registries',
      parentName: 'reg',
    });
    expect(alibabaTenant('WS_A')).toEqual({ kind: 'alibaba-workspace', workspaceId: 'WS_A' });
  });

  test('a lease scope is the tenant then what the contract adds, and parses back to the same tenant', () => {
    expect(leaseScope(alibabaTenant('ws'), ['default'])).toBe('ws/default');
    expect(leaseScope(registry('reg'), ['code', '1'])).toBe('sub-a/rg/registries/reg/code/1');
    expect(tenantOfLease(alibabaLease('ws/default'))).toEqual(alibabaTenant('ws'));
    expect(tenantOfLease(azureLease(registry('reg')))).toEqual(registry('reg'));
    expect(tenantOfLease(azureLease(workspace('ws')))).toEqual(workspace('ws'));
  });

  test('a scope no handler writes has no tenant: wrong contract, too few parts, an unknown parent kind, an empty workspace', () => {
    expect(tenantOfLease({ contract: 'azure-ml' as const, scope: 'ws/default' })).toBeUndefined();
    expect(tenantOfLease({ contract: 'azure-ml' as const, scope: 'sub/rg/workspaces/ws/code' })).toBeUndefined();
    expect(tenantOfLease({ contract: 'azure-ml' as const, scope: 'sub/rg/clusters/ws/code/1' })).toBeUndefined();
    expect(tenantOfLease({ contract: 'leases', scope: 'ws/default' } as never)).toBeUndefined();
    expect(tenantOfLease(alibabaLease('ws'))).toBeUndefined();
    expect(tenantOfLease(alibabaLease('/default'))).toBeUndefined();
    expect(tenantOfLease({ contract: 'azure-ml' as const, scope: 'sub/rg/workspaces/ws/code/1' })).toEqual(workspace('ws', 'sub'));
  });
});

describe('who may touch a tenant', () => {
  test('an open caller (AUTH=none; iam and jwt deployments) every tenant', () => {
    for (const tenant of [alibabaTenant('ws'), workspace('ws'), registry('reg')]) expect(mayTouchTenant(OPEN, tenant)).toBe(true);
  });

  test('an access key exactly the workspaces it lists, compared exactly, and no Azure tenant', () => {
    expect(mayTouchTenant(key('ws_a'), alibabaTenant('ws_a'))).toBe(true);
    expect(mayTouchTenant(key('ws_a'), alibabaTenant('ws_b'))).toBe(false);
    expect(mayTouchTenant(key('ws_a'), alibabaTenant('WS_A'))).toBe(false);
    expect(mayTouchTenant(key('ws_a'), alibabaTenant('ws_'))).toBe(false);
    expect(mayTouchTenant(key('sub-a'), workspace('ws'))).toBe(false);
  });

  test('a principal every workspace and registry of a granted subscription, and no Alibaba workspace', () => {
    const p = principal(['sub-a']);
    expect(mayTouchTenant(p, workspace('ws'))).toBe(true);
    expect(mayTouchTenant(p, registry('reg', 'sub-a', 'other-rg'))).toBe(true);
    expect(mayTouchTenant(p, workspace('ws', 'sub-b'))).toBe(false);
    expect(mayTouchTenant(principal(['ws']), alibabaTenant('ws'))).toBe(false);
  });

  test('a registry granted alone opens that registry only: not a workspace of the same name, group and subscription', () => {
    const p = principal([], ['sub-a/rg/shared']);
    expect(mayTouchTenant(p, registry('shared'))).toBe(true);
    expect(mayTouchTenant(p, registry('Shared', 'SUB-A', 'RG'))).toBe(true);
    expect(mayTouchTenant(p, workspace('shared'))).toBe(false);
    expect(mayTouchTenant(p, registry('shared', 'sub-a', 'rg2'))).toBe(false);
    expect(mayTouchTenant(p, registry('shared', 'sub-b'))).toBe(false);
    expect(mayTouchTenant(p, registry('other'))).toBe(false);
  });
});

describe('who may touch a lease', () => {
  test("the owner's callers only; a registry grant never reaches a workspace lease of the same name", () => {
    expect(mayTouchLease(key('ws_a'), alibabaLease('ws_a/default'))).toBe(true);
    expect(mayTouchLease(key('ws_b'), alibabaLease('ws_a/default'))).toBe(false);
    expect(mayTouchLease(key('ws_a'), azureLease(workspace('ws_a')))).toBe(false);
    const registryOnly = principal([], ['sub-a/rg/shared']);
    expect(mayTouchLease(registryOnly, azureLease(registry('shared')))).toBe(true);
    expect(mayTouchLease(registryOnly, azureLease(workspace('shared')))).toBe(false);
    expect(mayTouchLease(principal(['sub-a']), azureLease(workspace('shared')))).toBe(true);
  });

  test('a lease without a tenant is nobody\'s, not even an open caller\'s', () => {
    expect(mayTouchLease(OPEN, { contract: 'azure-ml' as const, scope: 'garbage' })).toBe(false);
    expect(mayTouchLease(OPEN, alibabaLease('ws/default'))).toBe(true);
  });

  test('through a route, the lease must also belong to the tenant the path names', () => {
    const both = key('ws_a', 'ws_b');
    expect(mayTouchLease(both, alibabaLease('ws_a/default'), alibabaTenant('ws_a'))).toBe(true);
    expect(mayTouchLease(both, alibabaLease('ws_a/default'), alibabaTenant('ws_b'))).toBe(false);
    expect(mayTouchLease(OPEN, alibabaLease('ws_a/default'), alibabaTenant('ws_b'))).toBe(false);
    expect(mayTouchLease(OPEN, azureLease(workspace('ws')), workspace('WS', 'SUB-A', 'RG'))).toBe(true);
    expect(mayTouchLease(OPEN, azureLease(workspace('ws')), registry('ws'))).toBe(false);
    expect(mayTouchLease(OPEN, azureLease(workspace('ws')), workspace('ws', 'sub-a', 'rg2'))).toBe(false);
    expect(mayTouchLease(OPEN, azureLease(workspace('ws')), alibabaTenant('sub-a'))).toBe(false);
    expect(leasesOf(both, alibabaTenant('ws_b'))(alibabaLease('ws_b/x'))).toBe(true);
    expect(leasesOf(key('ws_b'))(alibabaLease('ws_a/x'))).toBe(false);
  });
});

describe('a route tenant the caller may not touch', () => {
  test('is 403 in words each contract\'s clients know', () => {
    expect(() => requireTenant(key('ws_a'), alibabaTenant('ws_a'))).not.toThrow();
    expect(() => requireTenant(key('ws_a'), alibabaTenant('ws_b'))).toThrow(new ForbiddenError("The access key may not use the workspace 'ws_b'."));
    expect(() => requireTenant(principal(['sub-b']), workspace('ws'))).toThrow(
      new ForbiddenError("The client 'oid-p' does not have authorization to perform this action over scope '/subscriptions/sub-a'."),
    );
    expect(() => requireTenant(key('ws'), workspace('ws'))).toThrow(new ForbiddenError("The client does not have authorization to perform this action over scope '/subscriptions/sub-a'."));
  });
});
