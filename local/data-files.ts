/**
 * The local mode's files under DATA_DIR (default `.data`, ignored by git), in one place: `npm start`,
 * `npm run access-keys -- --local` and `npm run dev-token` agree on them without being told.
 */
import { join, resolve } from 'node:path';

/** DATA_DIR resolved against the working directory (the package root under npm run), default `.data`. */
export const localDataDir = (env: Readonly<Record<string, string | undefined>>): string => resolve(env.DATA_DIR || '.data');

/** Alibaba access keys for AUTH=contracts (ACCESS_KEYS_FILE overrides); holds secrets: written 0600. */
export const accessKeysFileIn = (dataDir: string): string => join(dataDir, 'access-keys.json');

/** Azure principals' grants for AUTH=contracts (AZURE_GRANTS_FILE overrides). */
export const azureGrantsFileIn = (dataDir: string): string => join(dataDir, 'azure-grants.json');

/** The development OIDC issuer's signing key, issuer URL and audience (JWT_ISSUER=dev); written 0600. */
export const devIssuerFileIn = (dataDir: string): string => join(dataDir, 'dev-issuer.json');
