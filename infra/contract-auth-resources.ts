/**
 * auth=contracts: what the API Lambdas need to authenticate each contract's own scheme (shared/auth/):
 * the KMS key the stored access-key secrets are encrypted under, and the environment naming it and
 * the Azure bearer tokens' issuer and audiences.
 */
import type { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { BrokerSettings } from './settings.js';

export interface ContractAuthResources {
  /** Encrypts the access-key secrets (npm run access-keys). */
  readonly accessKeysKey: Key;
  /** For the API Lambdas only. */
  readonly environment: Readonly<Record<string, string>>;
}

/** Undefined unless auth=contracts: the other modes authenticate in API Gateway. */
export function contractAuthResources(
  stack: Stack,
  settings: Pick<BrokerSettings, 'auth' | 'jwt'>,
  removalPolicy: RemovalPolicy,
): ContractAuthResources | undefined {
  if (settings.auth !== 'contracts') return undefined;
  const accessKeysKey = new Key(stack, 'AccessKeysKey', {
    description: 'Encrypts the secrets of the Alibaba-style access keys the API accepts',
    enableKeyRotation: true,
    removalPolicy,
  });
  return {
    accessKeysKey,
    environment: {
      AUTH: 'contracts',
      JWT_ISSUER: settings.jwt!.issuer,
      JWT_AUDIENCE: settings.jwt!.audience.join(','),
      ACCESS_KEYS_KMS_KEY_ARN: accessKeysKey.keyArn,
    },
  };
}
