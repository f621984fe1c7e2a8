import { loadConfig } from '../../shared/config.js';
import { azureStartPendingUploadHandler } from '../../shared/contracts/azure/handler.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const deps = createBrokerDeps(loadConfig());

export const handler = azureStartPendingUploadHandler(deps);
