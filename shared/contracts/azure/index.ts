import type { ContractCode, HandlerMap } from '../handlers.js';
import { azureEdge } from './edge.js';
import { azureCreateCodeVersionHandler, azureGetCodeVersionHandler } from './code-versions.js';
import { azureStartPendingUploadHandler } from './handler.js';
import type { azureOperations } from './operations.js';

const handlers = {
  AzureWorkspaceCodeVersionStartPendingUpload: azureStartPendingUploadHandler,
  AzureRegistryCodeVersionStartPendingUpload: azureStartPendingUploadHandler,
  AzureWorkspaceCodeVersionCreateOrUpdate: azureCreateCodeVersionHandler,
  AzureRegistryCodeVersionCreateOrUpdate: azureCreateCodeVersionHandler,
  AzureWorkspaceCodeVersionGet: azureGetCodeVersionHandler,
  AzureRegistryCodeVersionGet: azureGetCodeVersionHandler,
} satisfies HandlerMap<typeof azureOperations>;

export const azureContract: ContractCode = { edge: azureEdge, handlers };
