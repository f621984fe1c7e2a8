import type { HandlerMap } from '../handlers.js';
import { azureStartPendingUploadHandler } from './handler.js';
import type { azureOperations } from './operations.js';

export const azureHandlers = {
  AzureWorkspaceCodeVersionStartPendingUpload: azureStartPendingUploadHandler,
  AzureRegistryCodeVersionStartPendingUpload: azureStartPendingUploadHandler,
} satisfies HandlerMap<typeof azureOperations>;
