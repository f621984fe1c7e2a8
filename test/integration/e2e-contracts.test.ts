import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { e2eAuth } from '../e2e/target.js';
import { startTestBroker, type TestBroker } from '../support/local-broker.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { scratchDir } from '../support/scratch.js';

/**
 * `npm run test:e2e` against a broker with AUTH=contracts, as against a stack deployed with
 * -c auth=contracts: the whole suite, signed as each contract's clients sign, confined to the workspace
 * and subscription its credentials were granted.
 */
const AUDIENCE = 'https://management.azure.com/';
const KEY = { id: 'LTAIe2ekey0001', secret: 'an-e2e-secret-of-enough-length' };
const WORKSPACE = 'ws_e2e_granted';
const SUBSCRIPTION = '00000000-0000-0000-0000-0000000e2e01';

let broker: TestBroker;
let issuer: TestIssuer;
let contractsEnv: NodeJS.ProcessEnv;
beforeAll(async () => {
  issuer = await startTestIssuer(AUDIENCE);
  const dir = scratchDir('ulb-e2e-auth-');
  writeFileSync(join(dir, 'keys.json'), JSON.stringify([{ AccessKeyId: KEY.id, AccessKeySecret: KEY.secret, Workspaces: [WORKSPACE] }]));
  writeFileSync(join(dir, 'grants.json'), JSON.stringify([{ principal: 'oid-e2e', subscriptions: [SUBSCRIPTION] }]));
  broker = await startTestBroker({
    env: { AUTH: 'contracts', ACCESS_KEYS_FILE: join(dir, 'keys.json'), AZURE_GRANTS_FILE: join(dir, 'grants.json'), JWT_ISSUER: issuer.issuer, JWT_AUDIENCE: AUDIENCE },
  });
  const { API_URL: _a, E2E_AUTH: _b, CDK_OUTPUTS_FILE: _c, E2E_STACK: _d, ...env } = process.env;
  contractsEnv = {
    ...env,
    API_URL: broker.url,
    E2E_AUTH: 'contracts',
    E2E_ACCESS_KEY_ID: KEY.id,
    E2E_ACCESS_KEY_SECRET: KEY.secret,
    E2E_WORKSPACE: WORKSPACE,
    E2E_AZURE_TOKEN: await issuer.mint({ oid: 'oid-e2e' }, { expiresIn: '1h' }),
    E2E_SUBSCRIPTION: SUBSCRIPTION,
  };
});
afterAll(async () => {
  await broker?.dispose();
  await issuer?.close();
});

/** `npm run test:e2e` without npm's pre-script: the broker is in this process, so the child must not block it. */
function runE2e(env: NodeJS.ProcessEnv, jestArgs: string[] = []): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/run-e2e.ts', ...jestArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('npm run test:e2e with E2E_AUTH=contracts', () => {
  test('the whole suite passes: ACS3 for Alibaba routes, a bearer token for Azure ones, in the granted tenants', async () => {
    const run = await runE2e(contractsEnv);
    expect(run.output).toMatch(/Tests: +4 passed, 4 total/);
    expect(run.status).toBe(0);
  }, 300_000);

  test('with a wrong secret it fails, the broker refusing the signature (the suite cannot pass unauthenticated)', async () => {
    const run = await runE2e({ ...contractsEnv, E2E_ACCESS_KEY_SECRET: 'not-the-secret-of-this-key' }, ['-t', 'errors come back']);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/Tests: +1 failed/);
    expect(run.output).toContain('Received: 401');
  }, 300_000);

  test('with a token of another principal it fails too, the subscription not being granted to it', async () => {
    const stranger = await issuer.mint({ oid: 'oid-stranger' }, { expiresIn: '1h' });
    const run = await runE2e({ ...contractsEnv, E2E_AZURE_TOKEN: stranger }, ['-t', 'Azure: lease']);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/Tests: +1 failed/);
    expect(run.output).toContain('Received: 403');
  }, 300_000);
});

describe('what the suite needs to know for each E2E_AUTH', () => {
  const url = new URL('https://abc.execute-api.eu-west-1.amazonaws.com/');
  const contracts = { E2E_AUTH: 'contracts', E2E_ACCESS_KEY_ID: 'k', E2E_ACCESS_KEY_SECRET: 's', E2E_AZURE_TOKEN: 't' };

  test('contracts: each contract its own scheme; a missing setting is named with where it comes from', () => {
    const schemeFor = e2eAuth(contracts, 'eu-west-1', url);
    expect(schemeFor('alibaba')).toEqual({ kind: 'alibaba', accessKeyId: 'k', accessKeySecret: 's' });
    expect(schemeFor('azure')).toEqual({ kind: 'azure', token: 't' });
    for (const name of ['E2E_ACCESS_KEY_ID', 'E2E_ACCESS_KEY_SECRET', 'E2E_AZURE_TOKEN']) {
      expect(() => e2eAuth({ ...contracts, [name]: '' }, 'eu-west-1', url)).toThrow(new RegExp(`E2E_AUTH=contracts needs ${name} \\(`));
    }
  });

  test('iam by default for execute-api hosts, none elsewhere; jwt needs its token; an unknown mode is refused', () => {
    expect(e2eAuth({}, 'eu-west-1', url)('alibaba')).toEqual({ kind: 'iam', region: 'eu-west-1' });
    expect(e2eAuth({}, 'us-east-1', new URL('http://127.0.0.1:3000'))('azure')).toEqual({ kind: 'none' });
    expect(e2eAuth({ E2E_AUTH: 'jwt', E2E_JWT: 'j' }, 'eu-west-1', url)('alibaba')).toEqual({ kind: 'azure', token: 'j' });
    expect(() => e2eAuth({ E2E_AUTH: 'jwt' }, 'eu-west-1', url)).toThrow(/E2E_AUTH=jwt needs E2E_JWT/);
    expect(() => e2eAuth({ E2E_AUTH: 'contract' }, 'eu-west-1', url)).toThrow(/E2E_AUTH must be iam, jwt, contracts or none \(got "contract"\)/);
  });
});
