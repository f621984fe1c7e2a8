/**
 * Inputs every bench section shares: one configuration, static credentials, and API Gateway events
 * shaped like real traffic (the headers API Gateway adds, an SDK-style body).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadConfig, type BrokerConfig } from '../shared/config.js';
import { SURFACES, type OperationSpec, type Surface } from '../shared/api/operation.js';
import { operationById, routeKey, type OperationId } from '../shared/contracts/registry.js';
import type { BrokerContext } from '../shared/api/chain.js';
import { context, httpEvent } from '../test/support/events.js';

export const REGION = 'eu-west-1';
export const TABLE = 'bench-leases';
export const BUCKET = 'bench-upload-bucket';

/** Fake, static: nothing here ever reaches AWS. Not frozen: the SDK tags credential objects it is given. */
export const CREDENTIALS = {
  accessKeyId: 'AKIDBENCHEXAMPLE0001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYBENCHEXAMPLE',
};

/** The environment a deployed Lambda gets (plus fake credentials for the SDK's default chain). */
export const LAMBDA_ENV: Readonly<Record<string, string>> = Object.freeze({
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  LEASE_TABLE_NAME: TABLE,
  UPLOAD_BUCKET_NAME: BUCKET,
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  BROKER_LOG_LEVEL: 'silent',
});

/** The surfaces that issue leases (one Lambda each); `leases` only reads and consumes what they issued. */
export type IssuingSurface = Exclude<Surface, 'leases'>;
export const ISSUING_SURFACES: readonly IssuingSurface[] = SURFACES.filter((s): s is IssuingSurface => s !== 'leases');

/** The operation the bench calls on each issuing surface: the one that issues a lease. */
export const ISSUING_OPERATION: Readonly<Record<IssuingSurface, OperationId>> = Object.freeze({
  azure: 'AzureWorkspaceCodeVersionStartPendingUpload',
  alibaba: 'ApplyFileUploadLease',
});

/** The lease-issuing operation of a surface, checked to belong to it. */
export function issuingOperation(surface: IssuingSurface): OperationSpec & { readonly id: OperationId } {
  const op = operationById(ISSUING_OPERATION[surface]);
  if (op.surface !== surface) throw new Error(`bench: ${op.id} is an operation of ${op.surface}, not of ${surface}`);
  return op;
}

export const benchConfig = (): BrokerConfig =>
  loadConfig({ AWS_REGION: REGION, LEASE_TABLE_NAME: TABLE, UPLOAD_BUCKET_NAME: BUCKET });

const GATEWAY_HEADERS = {
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate',
  authorization: 'AWS4-HMAC-SHA256 Credential=AKIDCLIENT/20250102/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000',
  'x-amz-date': '20250102T030405Z',
  'x-amzn-trace-id': 'Root=1-67890abc-0123456789abcdef01234567',
  'x-forwarded-for': '203.0.113.7',
  'x-forwarded-port': '443',
  'x-forwarded-proto': 'https',
};

/** POST .../workspaces/{ws}/codes/{name}/versions/{version}/startPendingUpload, as the Azure ML SDK sends it. */
export function azureEvent(): APIGatewayProxyEventV2 {
  const body = JSON.stringify({ pendingUploadId: randomUUID(), pendingUploadType: 'TemporaryBlobReference' });
  return httpEvent({
    routeKey: routeKey(issuingOperation('azure')),
    rawPath:
      '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-bench/codes/train-code/versions/7/startPendingUpload',
    pathParameters: {
      subscriptionId: '00000000-1111-2222-3333-444444444444',
      resourceGroupName: 'rg-ml',
      workspaceName: 'ws-bench',
      name: 'train-code',
      version: '7',
    },
    rawQueryString: 'api-version=2025-09-01',
    headers: {
      ...GATEWAY_HEADERS,
      host: 'api.example.com',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      'user-agent': 'azure-ai-ml/1.20.0 azsdk-python-mgmt-machinelearningservices/0.1.0 Python/3.11.9',
      'x-ms-client-request-id': randomUUID(),
    },
    body,
  });
}

/** POST /{WorkspaceId}/datacenter/category/{CategoryId}, form-encoded as the Alibaba Cloud SDKs send it. */
export function alibabaEvent(): APIGatewayProxyEventV2 {
  const body = 'FileName=quarterly-report.pdf&Md5=19657c391f6c70bcea63c154d8606bb3&SizeInBytes=1048576';
  return httpEvent({
    routeKey: routeKey(issuingOperation('alibaba')),
    rawPath: '/llm-ws-bench/datacenter/category/default',
    pathParameters: { WorkspaceId: 'llm-ws-bench', CategoryId: 'default' },
    headers: {
      ...GATEWAY_HEADERS,
      host: 'api.example.com',
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(body.length),
      'user-agent': 'AlibabaCloud (linux; x64) Python/3.11.9 Core/2.0.0 TeaDSL/1',
    },
    body,
  });
}

export const lambdaContext = (name: string): BrokerContext => context(name);

const EVENT_FOR: Readonly<Record<IssuingSurface, () => APIGatewayProxyEventV2>> = { azure: azureEvent, alibaba: alibabaEvent };
/** A fresh lease request to the surface's issuing operation (ISSUING_OPERATION). */
export const eventFor = (surface: IssuingSurface): APIGatewayProxyEventV2 => EVENT_FOR[surface]();
