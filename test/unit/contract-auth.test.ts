import { describe, expect, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Authenticator, Caller } from '../../shared/auth/caller.js';
import { authenticatorFor, contractAuth, eitherScheme, OPEN_AUTH } from '../../shared/auth/contract-auth.js';
import { lambdaAuth, requireEnv, type SchemeFactory } from '../../shared/auth/lambda-auth.js';
import { alibabaFromStack } from '../../shared/auth/lambda-auth-alibaba.js';
import { azureFromStack } from '../../shared/auth/lambda-auth-azure.js';
import { loadConfig } from '../../shared/config.js';
import { AuthenticationError } from '../../shared/errors.js';
import { fixedClock } from '../support/clock.js';
import { httpEvent } from '../support/events.js';

/** Which authenticator an operation gets, and how the deployed Lambdas build them from their environment. */
const as = (name: string): Authenticator => async () => ({ kind: 'alibaba-key', accessKeyId: name, workspaces: [] });
const event = (authorization?: string) => httpEvent({ routeKey: 'GET /x', rawPath: '/x', pathParameters: {}, ...(authorization !== undefined ? { headers: { authorization } } : {}) });
const who = async (a: Authenticator, authorization?: string) => {
  try {
    const caller = (await a(event(authorization))) as Extract<Caller, { kind: 'alibaba-key' }> | { kind: 'open' };
    return caller.kind === 'open' ? 'open' : caller.accessKeyId;
  } catch (error) {
    return `refused:${(error as AuthenticationError).failure}`;
  }
};

describe("the broker's routes take either scheme", () => {
  const either = eitherScheme(as('alibaba'), as('azure'));

  test('ACS3 goes to the Alibaba scheme, a bearer token (any case) to the Azure one', async () => {
    expect(await who(either, 'ACS3-HMAC-SHA256 Credential=x')).toBe('alibaba');
    expect(await who(either, 'Bearer abc')).toBe('azure');
    expect(await who(either, 'bearer\tabc')).toBe('azure');
  });

  test('no header is missing; any other scheme is malformed', async () => {
    expect(await who(either)).toBe('refused:missing');
    expect(await who(either, '')).toBe('refused:missing');
    for (const header of ['Basic abc', 'Bearerabc', 'acs3-HMAC-SHA256 x', 'AWS4-HMAC-SHA256 Credential=x', ' Bearer x']) expect(await who(either, header)).toBe('refused:malformed');
  });

  test('an operation gets the authenticator its registry entry names; public ones establish no caller', async () => {
    const auth = contractAuth(as('alibaba'), as('azure'));
    expect(await who(authenticatorFor('alibaba', auth), 'x')).toBe('alibaba');
    expect(await who(authenticatorFor('azure', auth), 'x')).toBe('azure');
    expect(await who(authenticatorFor('either', auth), 'Bearer t')).toBe('azure');
    expect(await who(authenticatorFor('public', auth))).toBe('open');
    for (const scheme of ['alibaba', 'azure', 'either'] as const) expect(await who(authenticatorFor(scheme, OPEN_AUTH))).toBe('open');
  });
});

describe("the deployed Lambdas' authentication, from their environment", () => {
  const config = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 't', UPLOAD_BUCKET_NAME: 'b' });
  const parts = { ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), config, clock: fixedClock(0) };
  const AUTH_CONTRACTS_ENV = { AUTH: 'contracts', JWT_ISSUER: 'https://issuer.example/', JWT_AUDIENCE: 'aud', ACCESS_KEYS_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:1:key/k' };

  test('AUTH unset or none: API Gateway admits callers, nothing is built', () => {
    expect(lambdaAuth({}, { alibaba: alibabaFromStack })).toBeUndefined();
    expect(lambdaAuth({ AUTH: '' }, {})).toBeUndefined();
    expect(lambdaAuth({ AUTH: 'none' }, {})).toBeUndefined();
  });

  test('any other mode stops the cold start with one line naming it', () => {
    expect(() => lambdaAuth({ AUTH: 'iam' }, {})).toThrow(new Error('AUTH must be "none" or "contracts", got "iam"'));
  });

  test('AUTH=contracts: each surface gets its schemes; one it never bundled refuses as a wrong scheme', async () => {
    const built: string[] = [];
    const scheme = (name: string): SchemeFactory => (p, env) => {
      expect(p).toBe(parts);
      expect(env.AUTH).toBe('contracts');
      built.push(name);
      return as(name);
    };
    const alibabaOnly = lambdaAuth(AUTH_CONTRACTS_ENV, { alibaba: scheme('alibaba') })!(parts);
    expect(built).toEqual(['alibaba']);
    expect(await who(alibabaOnly.alibaba, 'x')).toBe('alibaba');
    expect(await who(alibabaOnly.azure, 'Bearer x')).toBe('refused:malformed');
    expect(await who(alibabaOnly.either, 'Bearer x')).toBe('refused:malformed');
    expect(await who(alibabaOnly.either, 'ACS3-HMAC-SHA256 x')).toBe('alibaba');
    const azureOnly = lambdaAuth(AUTH_CONTRACTS_ENV, { azure: scheme('azure') })!(parts);
    expect(await who(azureOnly.alibaba, 'ACS3-HMAC-SHA256 x')).toBe('refused:malformed');
    expect(await who(azureOnly.azure, 'Bearer x')).toBe('azure');
  });

  test('each scheme names the settings it misses', () => {
    expect(() => requireEnv({ A: 'x', B: '' }, ['A', 'B', 'C'])).toThrow(new Error('AUTH=contracts needs B, C'));
    expect(() => requireEnv({ A: 'x' }, ['A'])).not.toThrow();
    expect(() => alibabaFromStack(parts, { AUTH: 'contracts' })).toThrow(new Error('AUTH=contracts needs ACCESS_KEYS_KMS_KEY_ARN'));
    expect(() => azureFromStack(parts, { AUTH: 'contracts', JWT_ISSUER: 'https://i/' })).toThrow(new Error('AUTH=contracts needs JWT_AUDIENCE'));
    expect(() => azureFromStack(parts, { AUTH: 'contracts' })).toThrow(new Error('AUTH=contracts needs JWT_ISSUER, JWT_AUDIENCE'));
    expect(typeof alibabaFromStack(parts, AUTH_CONTRACTS_ENV)).toBe('function');
    expect(typeof azureFromStack(parts, AUTH_CONTRACTS_ENV)).toBe('function');
  });
});
