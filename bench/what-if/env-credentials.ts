/**
 * What-if shim (bench only, never deployed): stands in for @aws-sdk/credential-provider-node so a
 * bundle carries only the environment-variable provider, which is where Lambda puts credentials.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
export const credentialsWillNeedRefresh = () => false;
export const credentialsTreatedAsExpired = () => false;
