import { readFileSync } from 'node:fs';

/**
 * What an Azure principal (a token's `oid`, else `sub`) may use: whole subscriptions, and single
 * registries named `<subscriptionId>/<resourceGroupName>/<registryName>` (a registry shared with a
 * principal that has no grant on its subscription). Subscription ids and names compare case-insensitively,
 * as ARM does.
 */
export interface AzureGrant {
  readonly principal: string;
  readonly subscriptions: readonly string[];
  readonly registries: readonly string[];
}

/** Looks up a principal's grant (undefined: none, so nothing is allowed). */
export interface AzureGrants {
  grantFor(principal: string): Promise<AzureGrant | undefined>;
}

export function parseAzureGrants(text: string, source: string): AzureGrants {
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new Error(`${source} must hold a JSON array of {"principal","subscriptions","registries"}`);
  const grants = new Map<string, AzureGrant>();
  entries.forEach((e: { principal?: unknown; subscriptions?: unknown; registries?: unknown }, i) => {
    const strings = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== ''));
    if (typeof e?.principal !== 'string' || e.principal === '' || !strings(e.subscriptions) || !strings(e.registries)) {
      throw new Error(`${source}, entry ${i}: needs "principal" and string arrays "subscriptions" and/or "registries"`);
    }
    const lower = (v: unknown) => ((v as string[] | undefined) ?? []).map((s) => s.toLowerCase());
    grants.set(e.principal, { principal: e.principal, subscriptions: lower(e.subscriptions), registries: lower(e.registries) });
  });
  return { grantFor: async (principal) => grants.get(principal) };
}

export const azureGrantsFromFile = (path: string): AzureGrants => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`AZURE_GRANTS_FILE ${path} is not readable: ${(error as Error).message}`);
  }
  return parseAzureGrants(text, `AZURE_GRANTS_FILE ${path}`);
};
