import type { ContractCode, HandlerMap } from '../../api/contract-code.js';
import { alibabaEdge } from './edge.js';
import { alibabaAddFileHandler, alibabaDeleteFileHandler, alibabaDescribeFileHandler } from './files.js';
import { alibabaApplyFileUploadLeaseHandler } from './upload-lease.js';
import type { alibabaOperations } from './operations.js';

const handlers = {
  ApplyFileUploadLease: alibabaApplyFileUploadLeaseHandler,
  AddFile: alibabaAddFileHandler,
  DescribeFile: alibabaDescribeFileHandler,
  DeleteFile: alibabaDeleteFileHandler,
} satisfies HandlerMap<typeof alibabaOperations>;

export const alibabaContract: ContractCode = { edge: alibabaEdge, handlers };
