import { ConfigError } from '../config.js';
import { followedFile } from './followed-file.js';

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

/** The grants in `text`; anything malformed is a ConfigError naming `source` and the entry. */
export function parseAzureGrants(text: string, source: string): AzureGrants {
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new ConfigError(`${source} must hold a JSON array of {"principal","subscriptions","registries"}`);
  const grants = new Map<string, AzureGrant>();
  entries.forEach((e: { principal?: unknown; subscriptions?: unknown; registries?: unknown }, i) => {
    const strings = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== ''));
    if (typeof e?.principal !== 'string' || e.principal === '' || !strings(e.subscriptions) || !strings(e.registries)) {
      throw new ConfigError(`${source}, entry ${i}: needs "principal" and string arrays "subscriptions" and/or "registries"`);
    }
    const lower = (v: unknown) => ((v as string[] | undefined) ?? []).map((s) => s.toLowerCase());
    grants.set(e.principal, { principal: e.principal, subscriptions: lower(e.subscriptions), registries: lower(e.registries) });
  });
  return { grantFor: async (principal) => grants.get(principal) };
}

/** Local mode's AZURE_GRANTS_FILE; a change to it (a revoked grant) applies at the next request (followed-file.ts). */
export const azureGrantsFromFile = (path: string): AzureGrants => {
  const source = `AZURE_GRANTS_FILE ${path}`;
  let current: () => AzureGrants;
  try {
    current = followedFile(path, (text) => parseAzureGrants(text, source), NO_GRANTS);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${source} is not readable: ${(error as Error).message}`);
  }
  return { grantFor: (principal) => current().grantFor(principal) };
};

const NO_GRANTS: AzureGrants = { grantFor: async () => undefined };
