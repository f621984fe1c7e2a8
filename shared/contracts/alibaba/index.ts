import type { HandlerMap } from '../handlers.js';
import { alibabaAddFileHandler, alibabaDeleteFileHandler, alibabaDescribeFileHandler } from './files.js';
import { alibabaApplyFileUploadLeaseHandler } from './handler.js';
import type { alibabaOperations } from './operations.js';

export const alibabaHandlers = {
  ApplyFileUploadLease: alibabaApplyFileUploadLeaseHandler,
  AddFile: alibabaAddFileHandler,
  DescribeFile: alibabaDescribeFileHandler,
  DeleteFile: alibabaDeleteFileHandler,
} satisfies HandlerMap<typeof alibabaOperations>;
