import type { HandlerMap } from '../handlers.js';
import { azureCreateCodeVersionHandler, azureGetCodeVersionHandler } from './code-versions.js';
import { azureStartPendingUploadHandler } from './handler.js';
import type { azureOperations } from './operations.js';

export const azureHandlers = {
  AzureWorkspaceCodeVersionStartPendingUpload: azureStartPendingUploadHandler,
  AzureRegistryCodeVersionStartPendingUpload: azureStartPendingUploadHandler,
  AzureWorkspaceCodeVersionCreateOrUpdate: azureCreateCodeVersionHandler,
  AzureRegistryCodeVersionCreateOrUpdate: azureCreateCodeVersionHandler,
  AzureWorkspaceCodeVersionGet: azureGetCodeVersionHandler,
  AzureRegistryCodeVersionGet: azureGetCodeVersionHandler,
} satisfies HandlerMap<typeof azureOperations>;
