/**
 * Stands in for @aws-sdk/credential-provider-node inside the Lambda bundles (an esbuild alias in
 * infra/bundling.ts). Lambda always puts the execution role's credentials in the environment, so the
 * full provider chain (SSO, INI files, process, IMDS, web identity and the STS/SSO clients they carry)
 * is dead weight there: ~100 KB of bundle and ~15 ms of cold start. Everywhere else (local mode, tests,
 * scripts) the real chain is used.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
