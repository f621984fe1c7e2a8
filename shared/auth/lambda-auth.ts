import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../clock.js';
import type { BrokerConfig } from '../config.js';
import { AuthenticationError } from '../errors.js';
import type { Authenticator } from './caller.js';
import { contractAuth, type ContractAuth } from './contract-auth.js';

export type Env = Readonly<Record<string, string | undefined>>;
export interface AuthParts {
  readonly ddb: DynamoDBDocumentClient;
  readonly config: BrokerConfig;
  readonly clock: Clock;
}
/** Builds one scheme's authenticator from the stack's environment (lambda-auth-alibaba.ts, lambda-auth-azure.ts). */
export type SchemeFactory = (parts: AuthParts, env: Env) => Authenticator;

/** A scheme this Lambda's routes never use: each surface bundles only the schemes it needs. */
const notHere: Authenticator = async () => {
  throw new AuthenticationError('malformed', 'This route does not accept that authentication scheme.');
};

export function requireEnv(env: Env, names: readonly string[]): void {
  const missing = names.filter((name) => !env[name]);
  if (missing.length) throw new Error(`AUTH=contracts needs ${missing.join(', ')}`);
}

/**
 * The deployed API Lambdas' authentication, from the environment the stack sets (read once at cold
 * start; a missing value fails it loudly). AUTH unset: the iam/jwt modes, where API Gateway admits
 * callers. AUTH=contracts: each contract's own scheme, keys and grants from the table.
 */
export function lambdaAuth(env: Env, schemes: { alibaba?: SchemeFactory; azure?: SchemeFactory }): ((parts: AuthParts) => ContractAuth) | undefined {
  const mode = env.AUTH || 'none';
  if (mode === 'none') return undefined;
  if (mode !== 'contracts') throw new Error(`AUTH must be "none" or "contracts", got "${mode}"`);
  return (parts) => contractAuth(schemes.alibaba?.(parts, env) ?? notHere, schemes.azure?.(parts, env) ?? notHere);
}
