import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as Bailian from '@alicloud/bailian20231229';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import UtilsModule from '@alicloud/openapi-core/dist/utils.js';
import { OPERATIONS, type OperationId, operationById } from '../../shared/contracts/registry.js';
import type { OperationSpec, Surface } from '../../shared/api/operation.js';
import { API_VERSION, readResponse, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { closeRawAgent, rawRequest } from '../support/raw-http.js';
import { ERROR_FORMAT, requestFor, sampleBodies, type OperationRequest } from '../support/operation-requests.js';
import { allLeases, allObjectKeys } from '../support/storage.js';
import { scratchDir } from '../support/scratch.js';

/**
 * The attack run against AUTH=contracts, replayed: every operation of the registry walked with an
 * anonymous, a wrong-scheme and a wrong-tenant caller, then the recorded tricks (replays, signatures made
 * for another host or changed after signing, forged tokens, other tenants' ids, tampered URLs, hostile
 * bodies). Every attempt must be refused in its contract's own format, none with a 5xx, and none may
 * change what is stored: the leases and objects after the run are exactly those the tenants made.
 */
const Client = Bailian.default.default;
const Utils = UtilsModule.default;
const AUDIENCE = 'https://management.azure.com/';
const KEY_A = { id: 'LTAIattackA001', secret: 'secret-of-tenant-a-0001' };
const KEY_B = { id: 'LTAIattackB001', secret: 'secret-of-tenant-b-0001' };
const KEY_AB = { id: 'LTAIattackAB01', secret: 'secret-of-both-tenants-1' };
const SUB_A = '00000000-0000-0000-0000-0000000000aa';
const SUB_B = '00000000-0000-0000-0000-0000000000bb';
type Key = typeof KEY_A;

let broker: TestBroker;
let issuer: TestIssuer;
let host: string;
const statuses: number[] = [];

/** Everything in the table but nonces (each accepted signature spends one, by design). */
const storedItems = async () => (await allLeases(broker)).filter((l) => !l.leaseId.startsWith('nonce#')).map((l) => `${l.leaseId}:${l.status}`).sort();

/** What the tenants made legitimately before the attacks. */
const made = { fileId: '', addable: '', azureAddable: '', azureBlob: '', leaseIds: [] as string[], objects: [] as string[] };

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sdk = (key: Key) => new Client(new $OpenApiUtil.Config({ accessKeyId: key.id, accessKeySecret: key.secret, endpoint: host, protocol: 'HTTP' }));
const token = (oid: string, extra: Record<string, unknown> = {}) => issuer.mint({ oid, ...extra });

type Attempt = OperationRequest;

/** Sent exactly as given (Host included); every answer is recorded for the no-5xx check. */
async function send(a: Attempt): Promise<{ status: number; json: any }> {
  const res = await rawRequest(broker.url, { method: a.method, path: a.path, headers: { host, ...a.headers }, ...(a.body !== undefined ? { body: a.body } : {}) });
  statuses.push(res.status);
  let json: any;
  try {
    json = JSON.parse(res.text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/** ACS3 headers by the official SDK's signer; `signFor` changes what is signed without changing what is sent. */
function acs3(a: Attempt, key: Key, o: { signFor?: (h: Record<string, string>) => Record<string, string>; date?: string; nonce?: string; signedPath?: string } = {}): Attempt {
  const body = a.body ?? '';
  const hash = createHash('sha256').update(body).digest('hex');
  const headers: Record<string, string> = {
    host,
    'x-acs-action': 'Attack',
    'x-acs-version': '2023-12-29',
    'x-acs-date': o.date ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': o.nonce ?? randomUUID(),
    'x-acs-content-sha256': hash,
    ...a.headers,
  };
  const [pathname, query] = (o.signedPath ?? a.path).split('?');
  const signed = o.signFor ? o.signFor(headers) : headers;
  const authorization = Utils.getAuthorization(
    { pathname, method: a.method, query: Object.fromEntries(new URLSearchParams(query ?? '')), headers: signed } as never,
    'ACS3-HMAC-SHA256',
    hash,
    key.id,
    key.secret,
  );
  return { ...a, headers: { ...headers, authorization } };
}
const bearer = (a: Attempt, t: string): Attempt => ({ ...a, headers: { ...a.headers, authorization: `Bearer ${t}` } });

async function refused(a: Attempt, surface: Surface, status: number | number[]): Promise<void> {
  const res = await send(a);
  const expected = Array.isArray(status) ? status : [status];
  if (!expected.includes(res.status)) throw new Error(`${a.method} ${a.path}: expected ${expected.join('/')}, got ${res.status} ${JSON.stringify(res.json)}`);
  ERROR_FORMAT[surface](res.json);
}

beforeAll(async () => {
  issuer = await startTestIssuer(AUDIENCE);
  const dir = scratchDir('ulb-attacks-');
  writeFileSync(
    join(dir, 'keys.json'),
    JSON.stringify([
      { AccessKeyId: KEY_A.id, AccessKeySecret: KEY_A.secret, Workspaces: ['ws_a'] },
      { AccessKeyId: KEY_B.id, AccessKeySecret: KEY_B.secret, Workspaces: ['ws_b'] },
      { AccessKeyId: KEY_AB.id, AccessKeySecret: KEY_AB.secret, Workspaces: ['ws_a', 'ws_b'] },
    ]),
  );
  writeFileSync(
    join(dir, 'grants.json'),
    JSON.stringify([
      { principal: 'oid-a', subscriptions: [SUB_A] },
      { principal: 'oid-b', subscriptions: [SUB_B] },
      // A registry named like tenant A's workspace, in the same subscription and group: a grant of it alone.
      { principal: 'oid-reg', registries: [`${SUB_A}/rg/shared`] },
    ]),
  );
  broker = await startTestBroker({
    env: { AUTH: 'contracts', ACCESS_KEYS_FILE: join(dir, 'keys.json'), AZURE_GRANTS_FILE: join(dir, 'grants.json'), JWT_ISSUER: issuer.issuer, JWT_AUDIENCE: AUDIENCE },
  });
  host = new URL(broker.url).host;

  // Tenant A (Alibaba): a file made of one lease, and an uploaded lease nobody has used yet.
  const client = sdk(KEY_A);
  const upload = async (content: string) => {
    const lease = await client.applyFileUploadLease('default', 'ws_a', new Bailian.ApplyFileUploadLeaseRequest({ fileName: 'a.txt', md5: md5(content), sizeInBytes: String(content.length) }));
    const { fileUploadLeaseId, param } = lease.body!.data!;
    expect((await fetch(param!.url!, { method: 'PUT', headers: param!.headers as Record<string, string>, body: content })).status).toBe(200);
    return fileUploadLeaseId!;
  };
  const consumed = await upload('tenant a file');
  made.fileId = (await client.addFile('ws_a', new Bailian.AddFileRequest({ leaseId: consumed, parser: 'DASHSCOPE_DOCMIND', categoryId: 'default' }))).body!.data!.fileId!;
  made.addable = await upload('tenant a, not yet added');

  // Tenant A (Azure): an uploaded blob of the workspace 'shared', not yet a code version.
  const started = await readResponse(
    await fetch(`${broker.url}${armPath('workspaces', 'shared')}/startPendingUpload?api-version=${API_VERSION}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('oid-a')}`, 'content-type': 'application/json' },
      body: '{}',
    }),
  );
  expect(started.status).toBe(200);
  made.azureBlob = started.json.blobReferenceForConsumption.blobUri;
  made.azureAddable = started.headers.get('x-lease-id')!;
  expect((await fetch(started.json.blobReferenceForConsumption.credential.sasUri, { method: 'PUT', body: 'print("a")' })).status).toBe(200);
  await broker.eventsSettled();
  made.leaseIds = await storedItems();
  made.objects = await allObjectKeys(broker);
}, 60_000);

afterAll(async () => {
  closeRawAgent();
  await broker?.dispose();
  await issuer?.close();
});

const armPath = (kind: 'workspaces' | 'registries', name: string, sub = SUB_A) =>
  `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/${kind}/${name}/codes/code/versions/1`;

/** Tenant A's values for every path parameter of the registry. */
const pathValues = (): Record<string, string> => ({
  WorkspaceId: 'ws_a',
  CategoryId: 'default',
  FileId: `${made.fileId}/`,
  subscriptionId: SUB_A,
  resourceGroupName: 'rg',
  workspaceName: 'shared',
  registryName: 'shared',
  name: 'code',
  version: '1',
  leaseId: made.addable,
});


/** Bodies name tenant A's lease and blob (issued in beforeAll). */
const requestOf = (op: OperationSpec & { id: OperationId }, values = pathValues()): Attempt => requestFor(op, values, sampleBodies({ leaseId: made.addable, codeUri: made.azureBlob }));

/** A caller of another tenant, in the operation's own scheme. */
async function wrongTenant(op: OperationSpec & { id: OperationId }, a: Attempt): Promise<Attempt[]> {
  if (op.auth === 'alibaba') return [acs3(a, KEY_B)];
  if (op.auth === 'azure') {
    const strangers = [bearer(a, await token('oid-b')), bearer(a, await token('nobody'))];
    // The registry-only grant of the same name must not open the workspace.
    return a.path.includes('/workspaces/') ? [...strangers, bearer(a, await token('oid-reg'))] : strangers;
  }
  // The broker's routes: the other Alibaba tenant, and every Azure principal (the lease is Alibaba's).
  return [acs3(a, KEY_B), bearer(a, await token('oid-a')), bearer(a, await token('oid-reg'))];
}

describe('every operation of the registry refuses the wrong caller, in its own format', () => {
  const protectedOps = OPERATIONS.filter((op) => op.auth !== 'public');

  test('no operation of the registry is public: every one is walked below', () => {
    expect(OPERATIONS.filter((op) => op.auth === 'public').map((op) => op.id)).toEqual([]);
  });

  test.each(protectedOps.map((op) => [op.id, op] as const))('%s: anonymous 401, wrong scheme 401, wrong tenant 403 (or 404 by lease id)', async (_id, op) => {
    const a = requestOf(op);
    await refused(a, op.surface, 401);
    await refused({ ...a, headers: { ...a.headers, authorization: 'Basic YWxpY2U6c2VjcmV0' } }, op.surface, 401);
    await refused({ ...a, headers: { ...a.headers, authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261130/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=00' } }, op.surface, 401);
    if (op.auth === 'alibaba') await refused(bearer(a, await token('oid-a')), op.surface, 401);
    if (op.auth === 'azure') await refused(acs3(a, KEY_A), op.surface, 401);
    for (const attempt of await wrongTenant(op, a)) await refused(attempt, op.surface, op.surface === 'leases' ? 404 : 403);
  });
});

describe('the recorded tricks', () => {
  const apply = (): Attempt => requestOf(operationById('ApplyFileUploadLease'));
  const addTo = (workspace: string, leaseId = made.addable): Attempt => ({
    method: 'PUT',
    path: `/${workspace}/datacenter/file`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `LeaseId=${leaseId}&Parser=DASHSCOPE_DOCMIND&CategoryId=default`,
  });

  test('ACS3: replayed, made for another host, changed after signing, unsigned parts, stale or future dates', async () => {
    const once = acs3(addTo('ws_b', made.addable), KEY_B);
    await refused(once, 'alibaba', 404);
    // The same signed request again: its nonce is spent.
    const replay = await send(once);
    expect([replay.status, replay.json.Code]).toEqual([401, 'SignatureNonceUsed']);
    // Signed for another endpoint and sent here with that Host: a valid signature, for the wrong place.
    const elsewhere = acs3(apply(), KEY_A, { signFor: (h) => ({ ...h, host: 'bailian.cn-beijing.aliyuncs.com' }) });
    await refused({ ...elsewhere, headers: { ...elsewhere.headers, host: 'bailian.cn-beijing.aliyuncs.com' } }, 'alibaba', 401);
    await refused({ ...elsewhere, headers: { ...elsewhere.headers, host: `127.0.0.1:1` } }, 'alibaba', 401);
    // content-type left unsigned, then swapped; a query parameter added; the path changed; the method changed.
    const noType = acs3(apply(), KEY_A, { signFor: ({ 'content-type': _t, ...rest }) => rest });
    await refused({ ...noType, headers: { ...noType.headers, 'content-type': 'application/json' } }, 'alibaba', 401);
    const signedApply = acs3(apply(), KEY_A);
    await refused({ ...signedApply, path: `${signedApply.path}?FileName=other.txt` }, 'alibaba', 401);
    await refused({ ...acs3(addTo('ws_a'), KEY_AB), path: '/ws_b/datacenter/file' }, 'alibaba', 401);
    await refused({ ...acs3(apply(), KEY_A, { signedPath: '/ws_a/datacenter/category/other' }) }, 'alibaba', 401);
    await refused({ ...acs3(apply(), KEY_A), body: apply().body!.replace('a.pdf', 'b.pdf') }, 'alibaba', 401);
    // An x-acs-* header added after signing, and an unsigned one.
    await refused({ ...signedApply, headers: { ...signedApply.headers, 'x-acs-extra': '1' } }, 'alibaba', 401);
    await refused(acs3(apply(), KEY_A, { signFor: ({ 'x-acs-signature-nonce': _n, ...rest }) => rest }), 'alibaba', 401);
    // Dates a quarter of an hour away, either side, and none a calendar has.
    for (const date of [new Date(Date.now() + 20 * 60_000), new Date(Date.now() - 20 * 60_000)].map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')).concat(['2026-02-30T25:00:00Z', '']))
      await refused(acs3(apply(), KEY_A, { date }), 'alibaba', 401);
    // Another key's id with this key's signature; a signature of the wrong length; SignedHeaders naming Object members.
    const swapped = acs3(apply(), KEY_A);
    await refused({ ...swapped, headers: { ...swapped.headers, authorization: swapped.headers!.authorization!.replace(KEY_A.id, KEY_AB.id) } }, 'alibaba', 401);
    await refused({ ...swapped, headers: { ...swapped.headers, authorization: swapped.headers!.authorization!.replace(/Signature=\w+/, 'Signature=abcd') } }, 'alibaba', 401);
    await refused({ ...swapped, headers: { ...swapped.headers, authorization: swapped.headers!.authorization!.replace(/SignedHeaders=[^,]+/, 'SignedHeaders=__proto__;constructor') } }, 'alibaba', 401);
  });

  test('bearer tokens: unsigned, foreign key, expired, other audience or issuer, a principal that is not a string', async () => {
    const start = requestOf(operationById('AzureWorkspaceCodeVersionStartPendingUpload'));
    const now = Math.floor(Date.now() / 1000);
    const forged = [
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ oid: 'oid-a', iss: issuer.issuer, aud: AUDIENCE, exp: now + 600 })).toString('base64url')}.`,
      await issuer.mint({ oid: 'oid-a' }, { key: await issuer.foreignKey() }),
      await issuer.mint({ oid: 'oid-a' }, { kid: 'unknown-kid', key: await issuer.foreignKey() }),
      await issuer.mint({ oid: 'oid-a' }, { expiresIn: now - 60 }),
      await issuer.mint({ oid: 'oid-a', aud: 'https://someone-else/' }),
      await issuer.mint({ oid: 'oid-a', iss: 'https://login.example/other' }),
      await issuer.mint({ oid: ['oid-a'], sub: 'oid-a' }),
      await issuer.mint({ oid: { id: 'oid-a' }, sub: 'oid-a' }),
      'a.b.c',
      'x'.repeat(9000),
    ];
    for (const t of forged) await refused(bearer(start, t), 'azure', [401, 431]);
    // A token of another subscription's principal, with the victim's subscription spelled in another case.
    await refused(bearer(requestOf(operationById('AzureWorkspaceCodeVersionStartPendingUpload'), { ...pathValues(), subscriptionId: SUB_A.toUpperCase() }), await token('oid-b')), 'azure', 403);
  });

  test("other tenants' ids: leases, files and blobs of A reached from B's routes, or through a route of B's own", async () => {
    // A key of both workspaces may not add A's lease through B's workspace, nor read A's file there.
    await refused(acs3(addTo('ws_b'), KEY_AB), 'alibaba', 404);
    await refused(acs3({ method: 'GET', path: `/ws_b/datacenter/file/${made.fileId}/` }, KEY_B), 'alibaba', 404);
    await refused(acs3({ method: 'DELETE', path: `/ws_b/datacenter/file/${made.fileId}/` }, KEY_AB), 'alibaba', 404);
    await refused(acs3({ method: 'GET', path: `/WS_A/datacenter/file/${made.fileId}/` }, KEY_A), 'alibaba', 403);
    // A's blob named as the code of a version of B's subscription, or of the registry of the same name.
    const put = (path: string) => ({ method: 'PUT', path: `${path}?api-version=${API_VERSION}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ properties: { codeUri: made.azureBlob } }) });
    await refused(bearer(put(armPath('workspaces', 'shared', SUB_B)), await token('oid-b')), 'azure', 400);
    await refused(bearer(put(armPath('registries', 'shared')), await token('oid-reg')), 'azure', 400);
    await refused(bearer(put(armPath('workspaces', 'other')), await token('oid-a')), 'azure', 400);
    // The broker's routes: A's Azure lease for the registry-only principal, B, and an Alibaba key.
    for (const attempt of [bearer({ method: 'GET', path: `/leases/${made.azureAddable}` }, await token('oid-reg')), bearer({ method: 'POST', path: `/leases/${made.azureAddable}/consume` }, await token('oid-b')), acs3({ method: 'POST', path: `/leases/${made.azureAddable}/consume` }, KEY_A)])
      await refused(attempt, 'leases', 404);
    // Ids that were never handed out, or that try to leave their path segment (an encoded '/' is also
    // canonicalised unlike the SDK does, so its signature may fail first: refused either way).
    for (const id of ['..%2f..%2fetc', '%2e%2e', `${made.addable}%00`, 'a'.repeat(300)]) await refused(acs3({ method: 'GET', path: `/leases/${id}` }, KEY_A), 'leases', [400, 401, 404]);
  });

  test('tampered URLs: an upload URL for another key, with a second signature, a longer life, or other headers; a download URL moved to another object', async () => {
    const lease = await sdk(KEY_A).applyFileUploadLease('default', 'ws_a', new Bailian.ApplyFileUploadLeaseRequest({ fileName: 't.txt', md5: md5('tamper'), sizeInBytes: '6' }));
    const { url, headers } = lease.body!.data!.param! as { url: string; headers: Record<string, string> };
    const put = async (u: string, h: Record<string, string> = headers, body = 'tamper') => {
      const res = await fetch(u, { method: 'PUT', headers: h, body });
      statuses.push(res.status);
      return res.status;
    };
    const other = url.replace(/tmp\/[^/]+\//, `tmp/${made.addable}/`);
    expect(await put(other)).toBe(403);
    expect(await put(`${url}&X-Amz-Signature=${'0'.repeat(64)}`)).toBe(403);
    expect(await put(url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604800'))).toBe(403);
    expect([400, 403]).toContain(await put(url, { ...headers, 'content-md5': Buffer.from(md5('other!'), 'hex').toString('base64') }, 'other!'));
    expect([400, 403]).toContain(await put(url, { ...headers, 'content-type': 'application/octet-stream' }));
    // A download URL of A's file, pointed at another object.
    const view = await readResponse(
      await fetch(`${broker.url}/leases/${made.addable}`, { headers: acs3({ method: 'GET', path: `/leases/${made.addable}` }, KEY_A).headers as Record<string, string> }),
    );
    const download: string = view.json.downloadUrl;
    expect(download).toContain('X-Amz-Signature');
    const moved = await fetch(download.replace(/\/tmp\/[^?]+/, '/files/elsewhere.txt'));
    statuses.push(moved.status);
    expect(moved.status).toBe(403);
    const twice = await fetch(`${download}&X-Amz-Signature=${'1'.repeat(64)}`);
    statuses.push(twice.status);
    expect(twice.status).toBe(403);
    made.leaseIds.push(`${lease.body!.data!.fileUploadLeaseId}:PENDING`);
    made.leaseIds.sort();
  });

  test('hostile bodies from an authenticated caller: deep, huge, or not what they say, answered at once in the format', async () => {
    const consume = (body: string, type = 'application/json') => acs3({ method: 'POST', path: `/leases/${made.addable}/consume`, headers: { 'content-type': type }, body }, KEY_A);
    await refused(consume('['.repeat(100_000) + ']'.repeat(100_000)), 'leases', 400);
    await refused(consume(`{"consumer":"${'x'.repeat(300_000)}"}`), 'leases', [400, 413]);
    await refused(consume('{"consumer":'), 'leases', 400);
    await refused(consume('consumer=x', 'application/x-www-form-urlencoded'), 'leases', 415);
    const deepTags = `LeaseId=${made.addable}&Parser=P&CategoryId=default&Tags=${encodeURIComponent('['.repeat(5000) + ']'.repeat(5000))}`;
    await refused(acs3({ method: 'PUT', path: '/ws_a/datacenter/file', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: deepTags }, KEY_A), 'alibaba', 400);
    const start = requestOf(operationById('AzureWorkspaceCodeVersionStartPendingUpload'));
    await refused(bearer({ ...start, body: '{"pendingUploadId":' + '['.repeat(50_000) }, await token('oid-a')), 'azure', 400);
  });
});

describe('after the whole run', () => {
  test('no answer was a 5xx, and what is stored is exactly what the tenants made', async () => {
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    await broker.eventsSettled();
    expect(await storedItems()).toEqual(made.leaseIds);
    expect(await allObjectKeys(broker)).toEqual(made.objects);
  });
});
