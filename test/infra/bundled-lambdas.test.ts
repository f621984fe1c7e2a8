import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signContainerSas } from '../../shared/contracts/azure/container-sas.js';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { lambdaBundle } from '../../infra/bundle-cache.js';
import { getLease, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { httpEvent } from '../support/events.js';
import { routeKey, operationById, type OperationId } from '../../shared/contracts/registry.js';

/**
 * The deployable bundles themselves (the stack's assets, from infra/bundle-cache.ts, env-only credential
 * provider included) run in a fresh Node process with only Lambda's environment, against the embedded
 * DynamoDB and S3.
 */
const run = promisify(execFile);
let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
}, 60_000);
afterAll(async () => {
  await broker.dispose();
});

async function invoke(name: string, event: unknown, extraEnv: Record<string, string> = {}) {
  const script = `const { handler } = await import(${JSON.stringify(lambdaBundle(name).file)});
const ctx = { getRemainingTimeInMillis: () => 10000, awsRequestId: 'r', functionName: '${name}' };
process.stdout.write(JSON.stringify(await handler(JSON.parse(process.argv[1]), ctx)));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(event)], {
    // Only what Lambda provides, plus the emulator endpoints; no AWS profile or config files.
    env: {
      PATH: process.env.PATH,
      AWS_REGION: broker.config.region,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_SESSION_TOKEN: 'session-token',
      LEASE_TABLE_NAME: broker.config.tableName,
      UPLOAD_BUCKET_NAME: broker.config.bucketName,
      AWS_ENDPOINT_URL_DYNAMODB: broker.dynamoEndpoint,
      AWS_ENDPOINT_URL_S3: broker.s3Endpoint,
      BROKER_LOG_LEVEL: 'silent',
      HOME: '/nonexistent',
      ...extraEnv,
    },
  });
  return JSON.parse(stdout) as { statusCode: number; headers: Record<string, string>; body: string };
}

const route = (id: OperationId) => routeKey(operationById(id));

describe('bundled Lambdas', () => {
  test('Alibaba bundle issues a lease signed with the environment credentials; the leases bundle reads it', async () => {
    const res = await invoke(
      'alibaba',
      httpEvent({
        routeKey: route('ApplyFileUploadLease'),
        rawPath: '/ws_bundle/datacenter/category/default',
        pathParameters: { WorkspaceId: 'ws_bundle', CategoryId: 'default' },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'FileName=bundle.txt&Md5=5d41402abc4b2a76b9719d911017c592&SizeInBytes=5',
      }),
    );
    expect(res.statusCode).toBe(200);
    const { Data } = JSON.parse(res.body);
    const url = new URL(Data.Param.Url);
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^S3RVER\//);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session-token');
    expect((await getLease(broker.url, Data.FileUploadLeaseId)).json.status).toBe('PENDING');

    const read = await invoke('leases', httpEvent({ routeKey: 'GET /leases/{leaseId}', rawPath: '/leases/x', pathParameters: { leaseId: Data.FileUploadLeaseId } }));
    expect(read.statusCode).toBe(200);
    expect(JSON.parse(read.body)).toMatchObject({ leaseId: Data.FileUploadLeaseId, status: 'PENDING' });
  }, 30_000);

  test('Azure bundle answers create-or-get on both routes, and ARM errors', async () => {
    const event = (query: string) =>
      httpEvent({
        routeKey: route('AzureWorkspaceCodeVersionStartPendingUpload'),
        rawPath: '/x',
        pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws-bundle', name: 'c', version: '1' },
        rawQueryString: query,
        headers: { 'content-type': 'application/json' },
        body: '{"pendingUploadId":"bundled"}',
      });
    const ok = await invoke('azure', event('api-version=2025-09-01'));
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).pendingUploadId).toBe('bundled');
    const registry = await invoke('azure', {
      ...event('api-version=2025-09-01'),
      routeKey: route('AzureRegistryCodeVersionStartPendingUpload'),
      pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', registryName: 'reg-bundle', name: 'c', version: '1' },
    });
    expect(registry.statusCode).toBe(200);
    expect(JSON.parse(registry.body).blobReferenceForConsumption.blobUri).not.toBe(JSON.parse(ok.body).blobReferenceForConsumption.blobUri);
    const bad = await invoke('azure', event(''));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('MissingApiVersionParameter');
  }, 30_000);

  test('Azure bundle with the Blob front: a container SAS signed with the key it reads from Secrets Manager, and no start without the secret', async () => {
    const key = 'K'.repeat(64);
    const asked: string[] = [];
    // Secrets Manager's GetSecretValue, as the SDK calls it (JSON 1.1 over POST).
    const secrets = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        asked.push(`${req.headers['x-amz-target']} ${JSON.parse(body).SecretId}`);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ SecretString: key, ARN: 'arn:secret', Name: 'front-key' }));
      });
    });
    await new Promise<void>((resolve) => secrets.listen(0, '127.0.0.1', resolve));
    const front = { AZURE_UPLOADS: 'blob-front', BLOB_FRONT_URL: 'https://d111111abcdef8.cloudfront.net' };
    const event = httpEvent({
      routeKey: route('AzureWorkspaceCodeVersionStartPendingUpload'),
      rawPath: '/x',
      pathParameters: { subscriptionId: 's', resourceGroupName: 'rg', workspaceName: 'ws-bundle', name: 'front', version: '1' },
      rawQueryString: 'api-version=2025-09-01',
      headers: { 'content-type': 'application/json' },
      body: '{"pendingUploadId":"front"}',
    });
    try {
      const ok = await invoke('azure', event, {
        ...front,
        BLOB_FRONT_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:front-key',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`,
      });
      expect(ok.statusCode).toBe(200);
      const ref = JSON.parse(ok.body).blobReferenceForConsumption;
      const sas = new URL(ref.credential.sasUri);
      const container = sas.pathname.slice(1);
      expect(ref.blobUri).toBe(`https://d111111abcdef8.cloudfront.net/${container}`);
      const fields = { sp: sas.searchParams.get('sp')!, se: sas.searchParams.get('se')!, container, sv: sas.searchParams.get('sv')!, sr: sas.searchParams.get('sr')! };
      expect(sas.searchParams.get('sig')).toBe(signContainerSas(fields, key));
      expect(asked).toEqual(['secretsmanager.GetSecretValue arn:aws:secretsmanager:eu-west-1:123456789012:secret:front-key']);
    } finally {
      secrets.close();
    }
    const failed = await invoke('azure', event, front).catch((error: { stderr: string }) => error.stderr);
    expect(failed).toContain('Missing required environment variable BLOB_FRONT_KEY_SECRET_ARN (AZURE_UPLOADS=blob-front)');
  }, 30_000);
});
