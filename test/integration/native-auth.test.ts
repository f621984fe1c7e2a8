import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as Bailian from '@alicloud/bailian20231229';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import UtilsModule from '@alicloud/openapi-core/dist/utils.js';
import { API_VERSION, AZURE_PATH, eventually, readResponse, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { expectAlibabaError, expectArmError, expectBrokerError } from '../support/schemas.js';
import { scratchDir } from '../support/scratch.js';

/**
 * AUTH=contracts in the local mode: the official Alibaba SDK signing with ACS3-HMAC-SHA256, bearer
 * tokens from a local OIDC issuer, and every caller confined to its own workspaces and subscriptions.
 */
const Client = Bailian.default.default;
const Utils = UtilsModule.default;
const AUDIENCE = 'https://management.azure.com/';
const KEY = { id: 'LTAItestkey0001', secret: 'a-secret-of-enough-length-1' };
const OTHER_KEY = { id: 'LTAItestkey0002', secret: 'a-secret-of-enough-length-2' };
const SUB_A = '00000000-0000-0000-0000-00000000000a';
const SUB_B = '00000000-0000-0000-0000-00000000000b';

let broker: TestBroker;
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer(AUDIENCE);
  const dir = scratchDir('ulb-auth-');
  writeFileSync(
    join(dir, 'keys.json'),
    JSON.stringify([
      { AccessKeyId: KEY.id, AccessKeySecret: KEY.secret, Workspaces: ['ws_a'] },
      { AccessKeyId: OTHER_KEY.id, AccessKeySecret: OTHER_KEY.secret, Workspaces: ['ws_b'] },
    ]),
  );
  writeFileSync(
    join(dir, 'grants.json'),
    JSON.stringify([
      { principal: 'oid-a', subscriptions: [SUB_A] },
      { principal: 'oid-registry', registries: [`${SUB_B}/rg/shared-registry`] },
    ]),
  );
  broker = await startTestBroker({
    env: { AUTH: 'contracts', ACCESS_KEYS_FILE: join(dir, 'keys.json'), AZURE_GRANTS_FILE: join(dir, 'grants.json'), JWT_ISSUER: issuer.issuer, JWT_AUDIENCE: AUDIENCE },
  });
});
afterAll(async () => {
  await broker?.dispose();
  await issuer?.close();
});

const sdk = (key: { id: string; secret: string }) =>
  new Client(new $OpenApiUtil.Config({ accessKeyId: key.id, accessKeySecret: key.secret, endpoint: new URL(broker.url).host, protocol: 'HTTP' }));
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const leaseRequest = (body: string) => new Bailian.ApplyFileUploadLeaseRequest({ fileName: 'auth.txt', md5: md5(body), sizeInBytes: String(body.length), categoryType: 'UNSTRUCTURED' });

async function refusal(call: Promise<unknown>): Promise<{ statusCode: number; code: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { statusCode?: number; code?: string };
    return { statusCode: e.statusCode ?? 0, code: e.code ?? '' };
  }
  throw new Error('expected the SDK call to fail');
}

/** A request signed by the official SDK's own signer, sent by fetch: lets a test replay it or change it after signing. */
function signedRequest(options: { method: string; path: string; body?: string; key?: { id: string; secret: string }; date?: Date | string; nonce?: string }) {
  const body = options.body ?? '';
  const hash = createHash('sha256').update(body).digest('hex');
  const date = typeof options.date === 'string' ? options.date : (options.date ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const headers: Record<string, string> = {
    host: new URL(broker.url).host,
    'x-acs-action': 'ApplyFileUploadLease',
    'x-acs-version': '2023-12-29',
    'x-acs-date': date,
    'x-acs-signature-nonce': options.nonce ?? randomUUID(),
    'x-acs-content-sha256': hash,
    ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
  };
  const key = options.key ?? KEY;
  headers.authorization = Utils.getAuthorization({ pathname: options.path, method: options.method, query: {}, headers } as never, 'ACS3-HMAC-SHA256', hash, key.id, key.secret);
  const { host: _host, ...sent } = headers;
  return { send: (override?: { body?: string }) => fetch(`${broker.url}${options.path}`, { method: options.method, headers: sent, ...(body || override?.body ? { body: override?.body ?? body } : {}) }) };
}

describe('Alibaba: ACS3-HMAC-SHA256 with the official SDK', () => {
  test('a valid key does the whole flow in its workspace; a lease of another workspace is invisible to it', async () => {
    const client = sdk(KEY);
    const body = 'signed and sealed';
    const lease = await client.applyFileUploadLease('default', 'ws_a', leaseRequest(body));
    expect(lease.body!.code).toBe('Success');
    const { fileUploadLeaseId: leaseId, param } = lease.body!.data!;
    expect((await fetch(param!.url!, { method: param!.method!, headers: param!.headers as Record<string, string>, body })).status).toBe(200);
    await broker.eventsSettled();
    const added = await client.addFile('ws_a', new Bailian.AddFileRequest({ leaseId: leaseId!, parser: 'DASHSCOPE_DOCMIND', categoryId: 'default' }));
    const fileId = added.body!.data!.fileId!;
    const ready = await eventually(async () => {
      const d = await client.describeFile('ws_a', fileId, new Bailian.DescribeFileRequest({}));
      return d.body!.data!.status === 'FILE_IS_READY' ? d : undefined;
    });
    expect(ready.body!.data!.fileName).toBe('auth.txt');
    // The other key's workspace cannot see it, and the other key cannot act in ws_a.
    expect(await refusal(sdk(OTHER_KEY).describeFile('ws_a', fileId, new Bailian.DescribeFileRequest({})))).toEqual({ statusCode: 403, code: 'Forbidden.AccessDenied' });
    expect((await client.deleteFile(fileId, 'ws_a', new Bailian.DeleteFileRequest({}))).body!.data!.fileId).toBe(fileId);
  });

  test('refusals in the Alibaba envelope: wrong secret, unknown key, other workspace, replay, changed body, expired date, unsigned', async () => {
    expect(await refusal(sdk({ id: KEY.id, secret: 'not-the-right-secret' }).applyFileUploadLease('default', 'ws_a', leaseRequest('x')))).toEqual({ statusCode: 401, code: 'SignatureDoesNotMatch' });
    expect(await refusal(sdk({ id: 'LTAIunknown', secret: KEY.secret }).applyFileUploadLease('default', 'ws_a', leaseRequest('x')))).toEqual({ statusCode: 401, code: 'InvalidAccessKeyId.NotFound' });
    expect(await refusal(sdk(KEY).applyFileUploadLease('default', 'ws_b', leaseRequest('x')))).toEqual({ statusCode: 403, code: 'Forbidden.AccessDenied' });

    const form = `FileName=a.txt&Md5=${md5('x')}&SizeInBytes=1`;
    const once = signedRequest({ method: 'POST', path: '/ws_a/datacenter/category/default', body: form });
    expect((await once.send()).status).toBe(200);
    const replayed = await readResponse(await once.send());
    expect([replayed.status, replayed.json.Code]).toEqual([401, 'SignatureNonceUsed']);
    expectAlibabaError(replayed.json);

    const changed = await readResponse(await signedRequest({ method: 'POST', path: '/ws_a/datacenter/category/default', body: form }).send({ body: form.replace('a.txt', 'b.txt') }));
    expect([changed.status, changed.json.Code]).toEqual([401, 'SignatureDoesNotMatch']);

    const old = await readResponse(await signedRequest({ method: 'POST', path: '/ws_a/datacenter/category/default', body: form, date: new Date(Date.now() - 16 * 60_000) }).send());
    expect([old.status, old.json.Code]).toEqual([401, 'InvalidTimeStamp.Expired']);
    // A date no calendar has would otherwise never go stale.
    const impossible = await readResponse(await signedRequest({ method: 'POST', path: '/ws_a/datacenter/category/default', body: form, date: '2026-13-45T25:61:00Z' }).send());
    expect([impossible.status, impossible.json.Code]).toEqual([401, 'InvalidTimeStamp.Expired']);

    const unsigned = await readResponse(await fetch(`${broker.url}/ws_a/datacenter/category/default`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }));
    expect([unsigned.status, unsigned.json.Code]).toEqual([401, 'IncompleteSignature']);
    expectAlibabaError(unsigned.json);
  });
});

describe('Azure: bearer tokens from the OIDC issuer, grants per subscription', () => {
  const start = async (token: string | undefined, o: Parameters<typeof AZURE_PATH>[0] = { sub: SUB_A }) =>
    readResponse(
      await fetch(`${broker.url}${AZURE_PATH(o)}?api-version=${API_VERSION}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ pendingUploadId: randomUUID() }),
      }),
    );
  const expectArm = (res: Awaited<ReturnType<typeof start>>, status: number, code: string) => {
    expect([res.status, res.json?.error?.code]).toEqual([status, code]);
    expectArmError(res.json);
  };

  test('a valid token in a granted subscription; another subscription is 403 AuthorizationFailed', async () => {
    const token = await issuer.mint({ oid: 'oid-a', sub: 'ignored-when-oid-is-there' });
    expect((await start(token)).status).toBe(200);
    expectArm(await start(token, { sub: SUB_B }), 403, 'AuthorizationFailed');
    // A principal with no grant at all may use nothing.
    expectArm(await start(await issuer.mint({ sub: 'nobody' })), 403, 'AuthorizationFailed');
  });

  test('a registry granted alone: its routes only, not the workspaces of its subscription', async () => {
    const token = await issuer.mint({ oid: 'oid-registry' });
    expect((await start(token, { sub: SUB_B, rg: 'rg', registry: 'shared-registry' })).status).toBe(200);
    expectArm(await start(token, { sub: SUB_B, rg: 'rg', registry: 'other-registry' }), 403, 'AuthorizationFailed');
    expectArm(await start(token, { sub: SUB_B, rg: 'rg', ws: 'a-workspace' }), 403, 'AuthorizationFailed');
  });

  test('401s as ARM answers them, with WWW-Authenticate: missing, expired, not yet valid, wrong audience or issuer, foreign key, a principal that is not a string, alg none', async () => {
    const missing = await start(undefined);
    expectArm(missing, 401, 'AuthenticationFailed');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const invalid = [
      await issuer.mint({ oid: 'oid-a' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      await issuer.mint({ oid: 'oid-a' }, { notBefore: Math.floor(Date.now() / 1000) + 3600 }),
      await issuer.mint({ oid: 'oid-a', aud: 'https://someone-else/' }),
      await issuer.mint({ oid: 'oid-a', iss: 'https://login.example/other' }),
      await issuer.mint({ oid: 'oid-a' }, { key: await issuer.foreignKey() }),
      // An oid that is not a string must not fall back to a granted sub.
      await issuer.mint({ oid: 12345, sub: 'oid-a' }),
      await issuer.mint({ oid: ['oid-a'], sub: 'oid-a' }),
      await issuer.mint({ sub: '' }),
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ oid: 'oid-a', iss: issuer.issuer, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.`,
      'not-a-jwt',
    ];
    for (const token of invalid) {
      const res = await start(token);
      expectArm(res, 401, 'InvalidAuthenticationToken');
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  test('an unknown kid: the JWKS is fetched again once, then the token is refused', async () => {
    expect((await start(await issuer.mint({ oid: 'oid-a' }))).status).toBe(200);
    const before = issuer.jwksFetches();
    const foreign = await issuer.mint({ oid: 'oid-a' }, { kid: 'rotated-away', key: await issuer.foreignKey() });
    expect((await start(foreign)).status).toBe(401);
    expect(issuer.jwksFetches()).toBe(before + 1);
    // Within the cooldown a second unknown kid does not hammer the issuer.
    expect((await start(foreign)).status).toBe(401);
    expect(issuer.jwksFetches()).toBe(before + 1);
  });
});

describe("the broker's own routes: either scheme, each caller its own tenants", () => {
  test('a lease reads for its owner, 404 for any other caller, 401 without credentials', async () => {
    const lease = await sdk(KEY).applyFileUploadLease('default', 'ws_a', leaseRequest('mine'));
    const leaseId = lease.body!.data!.fileUploadLeaseId!;
    const read = (headers: Record<string, string>) => fetch(`${broker.url}/leases/${leaseId}`, { headers }).then(readResponse);

    const owner = signedRequest({ method: 'GET', path: `/leases/${leaseId}` });
    expect((await readResponse(await owner.send())).json).toMatchObject({ leaseId, status: 'PENDING' });
    const stranger = await readResponse(await signedRequest({ method: 'GET', path: `/leases/${leaseId}`, key: OTHER_KEY }).send());
    expect([stranger.status, stranger.json.error.code]).toEqual([404, 'LeaseNotFound']);
    const azure = await read({ authorization: `Bearer ${await issuer.mint({ oid: 'oid-a' })}` });
    expect([azure.status, azure.json.error.code]).toEqual([404, 'LeaseNotFound']);
    const anonymous = await read({});
    expect([anonymous.status, anonymous.json.error.code]).toEqual([401, 'Unauthenticated']);
    expectBrokerError(anonymous.json);

    // And the other way round: an Azure lease reads with its principal's token only.
    const token = await issuer.mint({ oid: 'oid-a' });
    const started = await readResponse(
      await fetch(`${broker.url}${AZURE_PATH({ sub: SUB_A })}?api-version=${API_VERSION}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' }),
    );
    const azureLease = started.headers.get('x-lease-id')!;
    expect((await fetch(`${broker.url}/leases/${azureLease}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await signedRequest({ method: 'GET', path: `/leases/${azureLease}` }).send()).status).toBe(404);
  });
});

describe('ulb upload against AUTH=contracts: each contract authenticated its own way', () => {
  const cli = async (args: string[], env: Record<string, string>) => {
    const { run } = await import('../../scripts/upload/cli.js');
    const dir = scratchDir('ulb-cli-auth-');
    const path = join(dir, 'doc.txt');
    writeFileSync(path, 'signed upload through the CLI');
    let stdout = '';
    let stderr = '';
    const stream = { isTTY: false, write: (t: string) => ((stderr += t), true) } as unknown as NodeJS.WriteStream;
    const code = await run(['upload', path, ...args], { env: { API_URL: broker.url, ...env }, stdout: (t) => (stdout += t), stderr: stream, cwd: dir });
    return { code, stderr, json: stdout ? JSON.parse(stdout) : undefined };
  };

  test('Alibaba: the access key signs (ACS3), the upload and AddFile go through; a wrong secret is refused', async () => {
    const ok = await cli(['--contract', 'alibaba', '--workspace', 'ws_a', '--consume'], { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.secret });
    expect([ok.code, ok.stderr.split('\n').filter((l) => l.startsWith('ulb:'))]).toEqual([0, []]);
    expect(ok.json.lease.status).toBe('CONSUMED');
    expect(ok.json.fileId).toMatch(/^file_/);
    const bad = await cli(['--contract', 'alibaba', '--workspace', 'ws_a'], { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong' });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/answered 401 SignatureDoesNotMatch/);
  });

  test('Azure: a bearer token from AZURE_ACCESS_TOKEN; without one, 401 in the ARM format', async () => {
    const azure = ['--contract', 'azure', '--subscription', SUB_A, '--resource-group', 'rg', '--workspace', 'ws-cli', '--name', 'cli-auth', '--version', '1'];
    const ok = await cli(azure, { AZURE_ACCESS_TOKEN: await issuer.mint({ oid: 'oid-a' }) });
    expect([ok.code, ok.json?.lease?.status]).toEqual([0, 'UPLOADED']);
    const anonymous = await cli(azure, {});
    expect(anonymous.code).toBe(3);
    expect(anonymous.stderr).toMatch(/answered 401 AuthenticationFailed/);
  });
});

test("with AUTH=contracts, /openapi.json advertises each contract's own scheme", async () => {
  const doc = (await (await fetch(`${broker.url}/openapi.json`)).json()) as any;
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['acs3', 'azureBearer']);
  expect(doc.paths['/{WorkspaceId}/datacenter/category/{CategoryId}'].post.security).toEqual([{ acs3: [] }]);
});
