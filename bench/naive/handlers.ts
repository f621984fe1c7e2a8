/**
 * The baseline: both lease endpoints written the usual way, as a reference point for the bench.
 * - middy with the same header normaliser and security headers,
 * - ajv compiling the contract's JSON Schemas at cold start (new Ajv().compile),
 * - getSignedUrl(s3, new PutObjectCommand(...)) per request,
 * - a DynamoDBDocumentClient (with its marshaller) built per request.
 * (ajv is CommonJS: under Node's ESM interop its class is the module's `default` export.)
 * It returns the same responses for the benchmarked (happy) path; it is not product code.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import AjvModule from 'ajv';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { alibabaParamsSchema, alibabaPathSchema, AZURE_API_VERSIONS, azurePathSchema, azureRequestSchema } from '../../shared/schemas/index.js';
import { contentTypeForFileName } from '../../shared/content-types.js';

export interface NaiveDeps {
  readonly region: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly s3: S3Client;
  readonly ddb: DynamoDBClient;
  readonly urlTtlSeconds?: number;
}

type Result = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}


const safeName = (name: string) => name.normalize('NFC').replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '') || 'upload';

function record(leaseId: string, contract: string, scope: string, objectKey: string, now: number, ttl: number, extra: Record<string, unknown>) {
  const urlExpiresAt = now + ttl * 1000;
  const dueAt = urlExpiresAt + 300_000;
  let h = 0;
  for (let i = 0; i < leaseId.length; i++) h = (h * 31 + leaseId.charCodeAt(i)) >>> 0;
  return {
    leaseId,
    contract,
    scope,
    objectKey,
    ...extra,
    status: 'PENDING',
    createdAt: now,
    urlExpiresAt,
    dueShard: `DUE#${h % 16}`,
    dueAt,
    expiresAt: Math.ceil(dueAt / 1000) + 7 * 24 * 3600,
  };
}

async function putLease(deps: NaiveDeps, item: Record<string, unknown>): Promise<void> {
  const doc = DynamoDBDocumentClient.from(deps.ddb, { marshallOptions: { removeUndefinedValues: true } });
  await doc.send(new PutCommand({ TableName: deps.tableName, Item: item, ConditionExpression: 'attribute_not_exists(leaseId)' }));
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): Result => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

function errorHandler(format: (e: HttpProblem, requestId: string) => Result) {
  return {
    onError: async (request: { error: unknown; response?: unknown; context: Context }) => {
      const e = request.error instanceof HttpProblem ? request.error : new HttpProblem(500, 'InternalError', 'internal error');
      request.response = format(e, request.context.awsRequestId);
    },
  };
}

export function naiveAzureHandler(deps: NaiveDeps) {
  const ajv = new AjvModule.default();
  const validatePath = ajv.compile(azurePathSchema);
  const validateBody = ajv.compile(azureRequestSchema);
  const ttl = deps.urlTtlSeconds ?? 600;
  const arn = `arn:aws:s3:::${deps.bucketName}`;

  const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<Result> => {
    const apiVersion = new URLSearchParams(event.rawQueryString ?? '').get('api-version');
    if (!apiVersion) throw new HttpProblem(400, 'MissingApiVersionParameter', 'api-version is required');
    if (!(AZURE_API_VERSIONS as readonly string[]).includes(apiVersion)) throw new HttpProblem(400, 'NoRegisteredProviderFound', apiVersion);
    const path = event.pathParameters ?? {};
    if (!validatePath(path)) throw new HttpProblem(400, 'InvalidParameter', ajv.errorsText(validatePath.errors));
    let body: { pendingUploadId?: string | null } = {};
    if (event.body) {
      try {
        body = JSON.parse(event.body);
      } catch {
        throw new HttpProblem(400, 'InvalidRequestContent', 'invalid JSON');
      }
      if (!validateBody(body)) throw new HttpProblem(400, 'InvalidRequestContent', ajv.errorsText(validateBody.errors));
    }
    const parentKind = path.registryName ? 'registries' : 'workspaces';
    const parentName = (path.registryName ?? path.workspaceName)!;
    const pendingUploadId = body.pendingUploadId || randomUUID();
    const scope = ['azure-ml', path.subscriptionId!.toLowerCase(), path.resourceGroupName!.toLowerCase(), parentKind, parentName.toLowerCase(), path.name!, path.version!, pendingUploadId];
    const hash = createHash('sha256');
    for (const part of scope) hash.update(`${Buffer.byteLength(part)}:${part}|`);
    const leaseId = hash.digest('hex').slice(0, 32);
    const objectKey = `tmp/${leaseId}/${safeName(`${path.name}-${path.version}`)}`;
    const now = Date.now();
    const url = await getSignedUrl(deps.s3, new PutObjectCommand({ Bucket: deps.bucketName, Key: objectKey }), { expiresIn: ttl });
    await putLease(deps, record(leaseId, 'azure-ml', scope.slice(1, -1).join('/'), objectKey, now, ttl, { pendingUploadId }));
    const requestId = context.awsRequestId;
    return json(
      200,
      {
        blobReferenceForConsumption: { blobUri: url.split('?')[0], storageAccountArmId: arn, credential: { credentialType: 'SAS', sasUri: url } },
        pendingUploadId,
        pendingUploadType: 'TemporaryBlobReference',
      },
      { 'x-lease-id': leaseId, 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': requestId },
    );
  };

  return middy(handler)
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders())
    .use(
      errorHandler((e, requestId) =>
        json(e.statusCode, { error: { code: e.code, message: e.message, details: [], additionalInfo: [] } }, { 'x-ms-request-id': requestId }),
      ),
    );
}

export function naiveAlibabaHandler(deps: NaiveDeps) {
  const ajv = new AjvModule.default();
  const validatePath = ajv.compile(alibabaPathSchema);
  const validateParams = ajv.compile(alibabaParamsSchema);
  const ttl = deps.urlTtlSeconds ?? 600;

  const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<Result> => {
    const path = event.pathParameters ?? {};
    if (!validatePath(path)) throw new HttpProblem(400, 'InvalidParameter', ajv.errorsText(validatePath.errors));
    const params: Record<string, unknown> = Object.fromEntries(new URLSearchParams(event.rawQueryString ?? ''));
    const type = event.headers?.['content-type'] ?? '';
    if (event.body) {
      if (type.startsWith('application/x-www-form-urlencoded')) Object.assign(params, Object.fromEntries(new URLSearchParams(event.body)));
      else if (type.startsWith('application/json')) Object.assign(params, JSON.parse(event.body));
      else throw new HttpProblem(415, 'UnsupportedMediaType', type);
    }
    if (!validateParams(params)) throw new HttpProblem(400, 'InvalidParameter', ajv.errorsText(validateParams.errors));
    const fileName = String(params.FileName);
    const md5 = String(params.Md5).toLowerCase();
    const size = Number(params.SizeInBytes);
    if (size > 100_000_000) throw new HttpProblem(400, 'DataCenter.FileTooLarge', 'too large');
    const contentType = contentTypeForFileName(fileName)!;
    const now = Date.now();
    const leaseId = `${randomBytes(16).toString('hex')}.${now}`;
    const objectKey = `tmp/${leaseId}/${safeName(fileName)}`;
    const contentMd5 = Buffer.from(md5, 'hex').toString('base64');
    const url = await getSignedUrl(
      deps.s3,
      new PutObjectCommand({ Bucket: deps.bucketName, Key: objectKey, ContentType: contentType, ContentMD5: contentMd5, ContentLength: size }),
      { expiresIn: ttl, signableHeaders: new Set(['content-type']) },
    );
    const scope = `${path.WorkspaceId}/${path.CategoryId}`;
    await putLease(deps, record(leaseId, 'alibaba-model-studio', scope, objectKey, now, ttl, { fileName, declaredSize: size, declaredMd5: md5, contentType }));
    const requestId = context.awsRequestId.toUpperCase();
    return json(
      200,
      {
        Code: 'Success',
        Data: { FileUploadLeaseId: leaseId, Param: { Method: 'PUT', Url: url, Headers: { 'Content-Type': contentType, 'Content-MD5': contentMd5 } }, Type: 'HTTP' },
        Message: 'success',
        RequestId: requestId,
        Status: '200',
        Success: true,
      },
      { 'x-lease-id': leaseId, 'x-acs-request-id': requestId },
    );
  };

  return middy(handler)
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders())
    .use(
      errorHandler((e, requestId) =>
        json(e.statusCode, { Code: e.code, Message: e.message, RequestId: requestId, Status: String(e.statusCode), Success: false }, { 'x-acs-request-id': requestId }),
      ),
    );
}
