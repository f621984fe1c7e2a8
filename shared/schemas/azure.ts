/** JSON Schemas of the Azure ML "Code Versions - Create Or Get Start Pending Upload" contract. */

export const AZURE_API_VERSIONS = ['2025-09-01'] as const;

/** ARM resource names: workspace and registry share the documented pattern. */
const armName = { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$' } as const;
/** Name and version are case-sensitive free text in the contract; bounded here so keys and records stay small. */
const assetSegment = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f/\\\\]+$' } as const;

/** Routes give either workspaceName or registryName; the handler checks which one its route has. */
export const azurePathSchema = {
  $id: 'AzurePathParameters',
  type: 'object',
  required: ['subscriptionId', 'resourceGroupName', 'name', 'version'],
  properties: {
    subscriptionId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f/]+$' },
    resourceGroupName: { type: 'string', minLength: 1, maxLength: 90, pattern: '^[^\\u0000-\\u001f\\u007f/]+$' },
    workspaceName: armName,
    registryName: armName,
    name: assetSegment,
    version: assetSegment,
  },
} as const;

export const pendingUploadTypes = ['None', 'TemporaryBlobReference'] as const;

/** PendingUploadRequestDto. Unknown properties are ignored, as ARM does. */
export const azureRequestSchema = {
  $id: 'PendingUploadRequestDto',
  type: 'object',
  properties: {
    pendingUploadId: { type: ['string', 'null'], maxLength: 1024 },
    pendingUploadType: { enum: [...pendingUploadTypes, null] },
  },
} as const;

export const azureResponseSchema = {
  $id: 'PendingUploadResponseDto',
  type: 'object',
  additionalProperties: false,
  required: ['blobReferenceForConsumption', 'pendingUploadId', 'pendingUploadType'],
  properties: {
    blobReferenceForConsumption: {
      type: 'object',
      additionalProperties: false,
      required: ['blobUri', 'storageAccountArmId', 'credential'],
      properties: {
        blobUri: { type: 'string', format: 'uri' },
        storageAccountArmId: { type: 'string' },
        credential: {
          type: 'object',
          additionalProperties: false,
          required: ['credentialType', 'sasUri'],
          properties: {
            credentialType: { const: 'SAS' },
            sasUri: { type: 'string', format: 'uri' },
          },
        },
      },
    },
    pendingUploadId: { type: 'string' },
    pendingUploadType: { enum: pendingUploadTypes },
  },
} as const;

const errorDetailProperties = {
  code: { type: 'string' },
  message: { type: 'string' },
  target: { type: 'string' },
  details: { type: 'array', items: { type: 'object' } },
  additionalInfo: {
    type: 'array',
    items: { type: 'object', properties: { type: { type: 'string' }, info: { type: 'object' } } },
  },
} as const;

/** ARM ErrorResponse. */
export const armErrorSchema = {
  $id: 'ErrorResponse',
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message', 'details', 'additionalInfo'],
      properties: errorDetailProperties,
    },
  },
} as const;
