import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { startTestBroker, type TestBroker } from '../support/local-broker.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { closeRawAgent, rawRequest } from '../support/raw-http.js';
import { OPERATIONS } from '../../shared/contracts/registry.js';
import { ERROR_FORMAT, requestFor, sampleBodies } from '../support/operation-requests.js';
import { allLeases, allObjectKeys } from '../support/storage.js';
import { scratchDir } from '../support/scratch.js';

/**
 * The bad-input sweep with AUTH=contracts on: whatever credentials arrive (none, garbage, an ACS3
 * header with a wrong or malformed signature, a bearer token that is not one), every surface answers
 * below 500 in its own format, and no refused request leaves a lease behind. FUZZ_RUNS × 0.4 requests
 * in all, spread over every operation of the registry.
 */
const RUNS = Math.max(400, Math.floor(Number(process.env.FUZZ_RUNS ?? 10_000) * 0.4));
let broker: TestBroker;
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer('aud');
  const dir = scratchDir('ulb-fuzz-auth-');
  writeFileSync(join(dir, 'keys.json'), JSON.stringify([{ AccessKeyId: 'LTAIfuzz', AccessKeySecret: 'fuzzing-secret-0123', Workspaces: ['ws'] }]));
  writeFileSync(join(dir, 'grants.json'), JSON.stringify([{ principal: 'p', subscriptions: ['s'] }]));
  broker = await startTestBroker({ env: { AUTH: 'contracts', ACCESS_KEYS_FILE: join(dir, 'keys.json'), AZURE_GRANTS_FILE: join(dir, 'grants.json'), JWT_ISSUER: issuer.issuer, JWT_AUDIENCE: 'aud' } });
});
afterAll(async () => {
  closeRawAgent();
  await broker.dispose();
  await issuer.close();
});

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  fc.tuple(fc.constantFrom('LTAIfuzz', 'LTAIunknown', ''), fc.constantFrom('host;x-acs-date', 'host', '', 'x;y;z'), fc.oneof(hex, fc.constant('zz'))).map(
    ([id, signed, sig]) => `ACS3-HMAC-SHA256 Credential=${id},SignedHeaders=${signed},Signature=${sig}`,
  ),
  fc.stringMatching(/^[A-Za-z0-9._-]{0,80}$/).map((t) => `Bearer ${t}`),
  fc.constant('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJwIn0.'),
);
const acsHeaders = fc.record({ 'x-acs-date': fc.constantFrom('2026-11-30T00:00:00Z', 'yesterday', ''), 'x-acs-signature-nonce': fc.string({ maxLength: 10 }).filter((s) => /^[\x21-\x7e]*$/.test(s)), 'x-acs-content-sha256': hex }, { requiredKeys: [] });
/** Every operation of the registry but the public ones, with values that would be accepted once authenticated. */
const VALUES = {
  WorkspaceId: 'ws',
  CategoryId: 'default',
  FileId: `file_${'a'.repeat(32)}_1790000000000/`,
  subscriptionId: 's',
  resourceGroupName: 'rg',
  workspaceName: 'wsx',
  registryName: 'regx',
  name: 'c',
  version: '1',
  leaseId: 'a'.repeat(32),
};
const BODIES = sampleBodies({ leaseId: 'x', codeUri: 'https://x/y' });
const ROUTES = OPERATIONS.filter((op) => op.auth !== 'public').map((op) => ({ ...requestFor(op, VALUES, BODIES), check: ERROR_FORMAT[op.surface] }));

test(`${RUNS} requests over every operation with generated credentials: 401/403 in the contract's format, never a 5xx, nothing created`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ROUTES), authorization, acsHeaders, async (route, auth, extra) => {
      const headers: Record<string, string> = { ...extra, ...route.headers, ...(auth !== undefined ? { authorization: auth } : {}) };
      const res = await rawRequest(broker.url, { method: route.method, path: route.path, headers, ...(route.body ? { body: route.body } : {}) });
      expect(res.status).toBeLessThan(500);
      expect([400, 401, 403]).toContain(res.status);
      route.check(JSON.parse(res.text));
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
  expect((await allLeases(broker)).filter((l) => /^[0-9a-f]{32}/.test(l.leaseId))).toEqual([]);
  expect(await allObjectKeys(broker)).toEqual([]);
}, 600_000);
