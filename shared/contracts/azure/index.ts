import type { ContractCode, HandlerMap } from '../../api/contract-code.js';
import { azureEdge } from './edge.js';
import { azureCreateCodeVersionHandler, azureGetCodeVersionHandler } from './code-versions.js';
import { azureStartPendingUploadHandler } from './pending-upload.js';
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
