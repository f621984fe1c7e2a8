import { alibabaErrorSchema, alibabaParamsSchema, alibabaPathSchema, alibabaResponseSchema } from '../../schemas/alibaba.js';
import type { ContractSpec, OperationSpec } from '../operation.js';

const paramsRef = { schema: { $ref: `#/components/schemas/${alibabaParamsSchema.$id}` } };

export const alibabaOperations = [
  {
    id: 'ApplyFileUploadLease',
    method: 'POST',
    path: '/{WorkspaceId}/datacenter/category/{CategoryId}',
    surface: 'alibaba',
    validators: { validateAlibabaPath: alibabaPathSchema, validateAlibabaParams: alibabaParamsSchema },
    doc: {
      pathSchema: alibabaPathSchema,
      okSchema: alibabaResponseSchema,
      query: Object.entries(alibabaParamsSchema.properties).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        description: 'May be given here instead of in the body.',
        schema,
      })),
      requestBody: { required: false, content: { 'application/x-www-form-urlencoded': paramsRef, 'application/json': paramsRef } },
      extraResponses: { '429': 'Too many requests for this workspace' },
    },
  },
] as const satisfies readonly OperationSpec[];

export const alibabaContractSpec = {
  name: 'alibaba-model-studio',
  tag: 'Alibaba Model Studio',
  errorSchema: alibabaErrorSchema,
  operations: alibabaOperations,
} as const satisfies ContractSpec;
