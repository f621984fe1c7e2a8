import { AZURE_API_VERSIONS, armErrorSchema, azurePathSchema, azureRequestSchema, azureResponseSchema } from '../../schemas/azure.js';
import type { ContractSpec, OperationSpec } from '../operation.js';

const ARM_PREFIX = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices';

const startPendingUpload = {
  method: 'POST',
  surface: 'azure',
  validators: { validateAzurePath: azurePathSchema, validateAzureRequest: azureRequestSchema },
  doc: {
    pathSchema: azurePathSchema,
    okSchema: azureResponseSchema,
    query: [{ name: 'api-version', in: 'query', required: true, schema: { type: 'string', enum: [...AZURE_API_VERSIONS] } }],
    requestBody: { required: false, content: { 'application/json': { schema: { $ref: `#/components/schemas/${azureRequestSchema.$id}` } } } },
  },
} as const;

export const azureOperations = [
  {
    id: 'AzureWorkspaceCodeVersionStartPendingUpload',
    path: `${ARM_PREFIX}/workspaces/{workspaceName}/codes/{name}/versions/{version}/startPendingUpload`,
    ...startPendingUpload,
  },
  {
    id: 'AzureRegistryCodeVersionStartPendingUpload',
    path: `${ARM_PREFIX}/registries/{registryName}/codes/{name}/versions/{version}/startPendingUpload`,
    ...startPendingUpload,
  },
] as const satisfies readonly OperationSpec[];

export const azureContractSpec = {
  name: 'azure-ml',
  tag: 'Azure ML',
  errorSchema: armErrorSchema,
  operations: azureOperations,
} as const satisfies ContractSpec;
