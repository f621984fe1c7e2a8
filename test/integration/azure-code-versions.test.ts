import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { API_VERSION, AZURE_PATH, eventually, getLease, postJson, readResponse, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { expectArmError, expectCodeVersion } from '../support/schemas.js';

/** Azure ML over HTTP: startPendingUpload, PUT, create the code version with codeUri = the blob, GET it. */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(() => broker.dispose());

type Scope = Parameters<typeof AZURE_PATH>[0];
const versionPath = (o: Scope) => AZURE_PATH(o).replace(/\/startPendingUpload$/, '');

async function uploadedBlob(o: Scope, pendingUploadId: string, body = 'print("hello")') {
  const started = await postJson(broker.url, `${AZURE_PATH(o)}?api-version=${API_VERSION}`, { pendingUploadId });
  expect(started.status).toBe(200);
  const ref = started.json.blobReferenceForConsumption;
  expect((await fetch(ref.credential.sasUri, { method: 'PUT', body })).status).toBe(200);
  const leaseId = started.headers.get('x-lease-id')!;
  await eventually(async () => ((await getLease(broker.url, leaseId)).json.status === 'UPLOADED' ? true : undefined));
  return { blobUri: ref.blobUri as string, leaseId };
}

async function putVersion(o: Scope, body: unknown, query = `api-version=${API_VERSION}`) {
  const res = await fetch(`${broker.url}${versionPath(o)}?${query}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return readResponse(res);
}

const getVersion = async (o: Scope, query = `api-version=${API_VERSION}`) => readResponse(await fetch(`${broker.url}${versionPath(o)}?${query}`));

describe('Azure ML code versions', () => {
  test('create (201) with the uploaded blob, GET it, update it (200): the ARM resource, the file in its permanent place', async () => {
    const o = { ws: 'ws-versions', name: 'train', version: '3' };
    const { blobUri, leaseId } = await uploadedBlob(o, 'v3');
    const created = await putVersion(o, { properties: { codeUri: blobUri, description: 'first', tags: { team: 'ml' }, properties: { a: 'b' } } });
    expect(created.status).toBe(201);
    expectCodeVersion(created.json);
    expect(created.json).toMatchObject({
      id: `/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/ws-versions/codes/train/versions/3`,
      name: '3',
      type: 'Microsoft.MachineLearningServices/workspaces/codes/versions',
      properties: { description: 'first', tags: { team: 'ml' }, properties: { a: 'b' }, isAnonymous: false, isArchived: false, provisioningState: 'Succeeded' },
    });
    // codeUri names the permanent location; the blob is there once the move has run.
    expect(created.json.properties.codeUri).toBe(blobUri.replace('/tmp/', '/files/'));
    await broker.eventsSettled();
    const lease = (await getLease(broker.url, leaseId)).json;
    expect(lease).toMatchObject({ status: 'CONSUMED', consumedBy: { kind: 'azure-code-version' }, location: { key: `files/${leaseId}/train-3` } });
    expect(await (await fetch(lease.downloadUrl)).text()).toBe('print("hello")');

    const got = await getVersion(o);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(created.json);

    // Update with the codeUri the service answered: description and tags change, the code does not.
    const updated = await putVersion(o, { properties: { codeUri: created.json.properties.codeUri, description: 'second', isArchived: true } });
    expect(updated.status).toBe(200);
    expect(updated.json.properties).toMatchObject({ description: 'second', isArchived: true, tags: {} });
    expect(updated.json.systemData.createdAt).toBe(created.json.systemData.createdAt);
    expect((await getVersion(o)).json.properties.description).toBe('second');
  });

  test('registry versions: their own resource type, their own scope', async () => {
    const o = { registry: 'reg-versions', name: 'shared', version: '1' };
    const { blobUri } = await uploadedBlob(o, 'reg');
    const created = await putVersion(o, { properties: { codeUri: blobUri } });
    expect(created.status).toBe(201);
    expect(created.json.type).toBe('Microsoft.MachineLearningServices/registries/codes/versions');
    // The same names in a workspace are another version, which does not exist.
    expect((await getVersion({ ws: 'reg-versions', name: 'shared', version: '1' })).status).toBe(404);
  });

  test('startPendingUpload with a consumed pendingUploadId: 409, no URL that could overwrite the consumed file', async () => {
    const o = { ws: 'ws-versions', name: 'again', version: '1' };
    const { blobUri } = await uploadedBlob(o, 'once');
    expect((await putVersion(o, { properties: { codeUri: blobUri } })).status).toBe(201);
    const again = await postJson(broker.url, `${AZURE_PATH(o)}?api-version=${API_VERSION}`, { pendingUploadId: 'once' });
    expect(again.status).toBe(409);
    expectArmError(again.json);
    expect(again.json.error.code).toBe('Conflict');
    expect(again.json.error.message).toContain('another pendingUploadId');
    expect(again.text).not.toContain('X-Amz-Signature');
  });

  test('refusals as ARM ErrorResponse', async () => {
    const o = { ws: 'ws-refusals', name: 'code', version: '1' };
    const expectError = (res: Awaited<ReturnType<typeof getVersion>>, status: number, code: string) => {
      expect([res.status, res.json?.error?.code]).toEqual([status, code]);
      expectArmError(res.json);
    };
    expectError(await getVersion(o), 404, 'ResourceNotFound');
    expectError(await getVersion(o, ''), 400, 'MissingApiVersionParameter');
    expectError(await putVersion(o, { properties: { codeUri: 'https://elsewhere.example/blob' } }), 400, 'InvalidRequestContent');
    expectError(await putVersion(o, { properties: {} }), 400, 'InvalidRequestContent');
    expectError(await putVersion(o, '{'), 400, 'InvalidRequestContent');

    // Not uploaded yet.
    const started = await postJson(broker.url, `${AZURE_PATH(o)}?api-version=${API_VERSION}`, { pendingUploadId: 'pending' });
    expectError(await putVersion(o, { properties: { codeUri: started.json.blobReferenceForConsumption.blobUri } }), 409, 'Conflict');

    // A blob of another workspace reads as unknown.
    const other = await uploadedBlob({ ws: 'ws-other', name: 'code', version: '1' }, 'theirs');
    const stolen = await putVersion(o, { properties: { codeUri: other.blobUri } });
    expectError(stolen, 400, 'InvalidRequestContent');
    expect(stolen.json.error.target).toBe('properties.codeUri');
    expect((await getLease(broker.url, other.leaseId)).json.status).toBe('UPLOADED');

    // The version exists with another blob: its code cannot change.
    const mine = await uploadedBlob(o, 'mine');
    expect((await putVersion(o, { properties: { codeUri: mine.blobUri } })).status).toBe(201);
    const second = await uploadedBlob(o, 'second');
    expectError(await putVersion(o, { properties: { codeUri: second.blobUri } }), 409, 'Conflict');
    expect((await getLease(broker.url, second.leaseId)).json.status).toBe('UPLOADED');
    // ... and a blob already used by one version cannot make another.
    expectError(await putVersion({ ...o, version: '2' }, { properties: { codeUri: mine.blobUri } }), 409, 'Conflict');
    expect((await getVersion({ ...o, version: '2' })).status).toBe(404);
  });
});
