import { AZURE_API_VERSIONS, armErrorSchema, azurePathSchema, azureRequestSchema, azureResponseSchema } from '../../schemas/azure.js';
import { codeVersionRequestSchema, codeVersionResponseSchema } from '../../schemas/azure-code-versions.js';
import type { ContractSpec, OperationSpec } from '../../api/operation.js';

const ARM_PREFIX = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices';

const apiVersionQuery = [{ name: 'api-version', in: 'query', required: true, schema: { type: 'string', enum: [...AZURE_API_VERSIONS] } }] as const;

const startPendingUpload = {
  method: 'POST',
  surface: 'azure',
  auth: 'azure',
  validators: { validateAzurePath: azurePathSchema, validateAzureRequest: azureRequestSchema },
  doc: {
    pathSchema: azurePathSchema,
    okSchema: azureResponseSchema,
    query: apiVersionQuery,
    requestBody: { required: false, content: { 'application/json': { schema: { $ref: `#/components/schemas/${azureRequestSchema.$id}` } } } },
  },
} as const;

const createCodeVersion = {
  method: 'PUT',
  surface: 'azure',
  auth: 'azure',
  validators: { validateAzurePath: azurePathSchema, validateCodeVersionRequest: codeVersionRequestSchema },
  doc: {
    pathSchema: azurePathSchema,
    okSchema: codeVersionResponseSchema,
    query: apiVersionQuery,
    requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${codeVersionRequestSchema.$id}` } } } },
    extraResponses: {
      '201': 'Created: the uploaded blob its codeUri names is now the version\'s code',
      '409': 'The blob is not uploaded or already used, or the version exists with another codeUri',
    },
  },
} as const;

const getCodeVersion = {
  method: 'GET',
  surface: 'azure',
  auth: 'azure',
  validators: { validateAzurePath: azurePathSchema },
  doc: { pathSchema: azurePathSchema, okSchema: codeVersionResponseSchema, query: apiVersionQuery, extraResponses: { '404': 'No such code version' } },
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
  { id: 'AzureWorkspaceCodeVersionCreateOrUpdate', path: `${ARM_PREFIX}/workspaces/{workspaceName}/codes/{name}/versions/{version}`, ...createCodeVersion },
  { id: 'AzureRegistryCodeVersionCreateOrUpdate', path: `${ARM_PREFIX}/registries/{registryName}/codes/{name}/versions/{version}`, ...createCodeVersion },
  { id: 'AzureWorkspaceCodeVersionGet', path: `${ARM_PREFIX}/workspaces/{workspaceName}/codes/{name}/versions/{version}`, ...getCodeVersion },
  { id: 'AzureRegistryCodeVersionGet', path: `${ARM_PREFIX}/registries/{registryName}/codes/{name}/versions/{version}`, ...getCodeVersion },
] as const satisfies readonly OperationSpec[];

export const azureContractSpec = {
  name: 'azure-ml',
  tag: 'Azure ML',
  errorSchema: armErrorSchema,
  operations: azureOperations,
} as const satisfies ContractSpec;
