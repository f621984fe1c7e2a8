import { alibabaErrorSchema, alibabaParamsSchema, alibabaPathSchema, alibabaResponseSchema } from '../../schemas/alibaba.js';
import {
  addFileParamsSchema,
  addFileResponseSchema,
  alibabaFilePathSchema,
  alibabaWorkspacePathSchema,
  deleteFileResponseSchema,
  describeFileResponseSchema,
} from '../../schemas/alibaba-files.js';
import type { ContractSpec, OperationSpec } from '../../api/operation.js';

const paramsRef = { schema: { $ref: `#/components/schemas/${alibabaParamsSchema.$id}` } };

/** DescribeFile and DeleteFile share their path. */
const fileOperation = <S extends { readonly $id: string }>(okSchema: S) =>
  ({
    // Alibaba's SDK ends this path with a slash, which API Gateway HTTP APIs only match with a greedy
    // variable; the handler takes FileId without it.
    path: '/{WorkspaceId}/datacenter/file/{FileId+}',
    surface: 'alibaba',
    auth: 'alibaba',
    validators: { validateAlibabaFilePath: alibabaFilePathSchema },
    doc: { pathSchema: alibabaFilePathSchema, okSchema, extraResponses: { '404': 'Unknown file, or a file of another workspace' } },
  }) as const;

export const alibabaOperations = [
  {
    id: 'ApplyFileUploadLease',
    method: 'POST',
    path: '/{WorkspaceId}/datacenter/category/{CategoryId}',
    surface: 'alibaba',
    auth: 'alibaba',
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
  {
    id: 'AddFile',
    method: 'PUT',
    path: '/{WorkspaceId}/datacenter/file',
    surface: 'alibaba',
    auth: 'alibaba',
    validators: { validateAlibabaWorkspacePath: alibabaWorkspacePathSchema, validateAddFileParams: addFileParamsSchema },
    doc: {
      pathSchema: alibabaWorkspacePathSchema,
      okSchema: addFileResponseSchema,
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': { schema: { $ref: `#/components/schemas/${addFileParamsSchema.$id}` } },
          'application/json': { schema: { $ref: `#/components/schemas/${addFileParamsSchema.$id}` } },
        },
      },
      extraResponses: { '404': 'Unknown lease, or a lease of another workspace', '409': 'The lease is not UPLOADED, or was already used' },
    },
  },
  { id: 'DescribeFile', method: 'GET', ...fileOperation(describeFileResponseSchema) },
  { id: 'DeleteFile', method: 'DELETE', ...fileOperation(deleteFileResponseSchema) },
] as const satisfies readonly OperationSpec[];

export const alibabaContractSpec = {
  name: 'alibaba-model-studio',
  tag: 'Alibaba Model Studio',
  errorSchema: alibabaErrorSchema,
  operations: alibabaOperations,
} as const satisfies ContractSpec;
