/** JSON Schemas of Azure ML's "Code Versions - Create Or Update" and "Get" (ARM). */
const stringMap = { type: ['object', 'null'], additionalProperties: { type: ['string', 'null'] } } as const;

/** CodeVersion resource body. Unknown properties are ignored, as ARM does; read-only ones are recomputed. */
export const codeVersionRequestSchema = {
  $id: 'CodeVersion',
  type: 'object',
  required: ['properties'],
  properties: {
    properties: {
      type: 'object',
      required: ['codeUri'],
      properties: {
        codeUri: { type: 'string', minLength: 1, maxLength: 2048 },
        description: { type: ['string', 'null'], maxLength: 4096 },
        tags: stringMap,
        properties: stringMap,
        isAnonymous: { type: ['boolean', 'null'] },
        isArchived: { type: ['boolean', 'null'] },
      },
    },
  },
} as const;

export const codeVersionResponseSchema = {
  $id: 'CodeVersionResource',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'type', 'properties', 'systemData'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    type: { enum: ['Microsoft.MachineLearningServices/workspaces/codes/versions', 'Microsoft.MachineLearningServices/registries/codes/versions'] },
    properties: {
      type: 'object',
      additionalProperties: false,
      required: ['codeUri', 'description', 'tags', 'properties', 'isAnonymous', 'isArchived', 'provisioningState'],
      properties: {
        codeUri: { type: 'string', format: 'uri' },
        description: { type: ['string', 'null'] },
        tags: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
        properties: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
        isAnonymous: { type: 'boolean' },
        isArchived: { type: 'boolean' },
        provisioningState: { const: 'Succeeded' },
      },
    },
    systemData: {
      type: 'object',
      additionalProperties: false,
      required: ['createdAt', 'lastModifiedAt'],
      properties: { createdAt: { type: 'string', format: 'date-time' }, lastModifiedAt: { type: 'string', format: 'date-time' } },
    },
  },
} as const;
