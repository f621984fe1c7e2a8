import type { HandlerMap } from '../handlers.js';
import { alibabaApplyFileUploadLeaseHandler } from './handler.js';
import type { alibabaOperations } from './operations.js';

export const alibabaHandlers = {
  ApplyFileUploadLease: alibabaApplyFileUploadLeaseHandler,
} satisfies HandlerMap<typeof alibabaOperations>;
