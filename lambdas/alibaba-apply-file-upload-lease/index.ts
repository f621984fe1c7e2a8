import { loadConfig } from '../../shared/config.js';
import { alibabaApplyFileUploadLeaseHandler } from '../../shared/contracts/alibaba/handler.js';
import { createBrokerDeps } from '../../shared/runtime.js';

const deps = createBrokerDeps(loadConfig());

export const handler = alibabaApplyFileUploadLeaseHandler(deps);
