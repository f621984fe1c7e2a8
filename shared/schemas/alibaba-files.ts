/** JSON Schemas of Alibaba Model Studio's file operations: AddFile, DescribeFile, DeleteFile. */

const opaqueId = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$' } as const;
/** FileIds are made from the lease they consumed: file_<32 hex>_<13 digits>. */
export const FILE_ID_PATTERN = '^file_[0-9a-f]{32}_[0-9]{13}$';

export const alibabaWorkspacePathSchema = {
  $id: 'AlibabaWorkspacePath',
  type: 'object',
  required: ['WorkspaceId'],
  properties: { WorkspaceId: opaqueId },
} as const;

export const alibabaFilePathSchema = {
  $id: 'AlibabaFilePath',
  type: 'object',
  required: ['WorkspaceId', 'FileId'],
  // The greedy route variable keeps the trailing slash Alibaba's SDK sends.
  properties: { WorkspaceId: opaqueId, FileId: { type: 'string', minLength: 1, maxLength: 129, pattern: '^[A-Za-z0-9_.-]+/?$' } },
} as const;

/** As the SDK sends them: form fields, Tags and ParserConfig as JSON strings (a JSON body may nest them). */
export const addFileParamsSchema = {
  $id: 'AddFileRequest',
  type: 'object',
  required: ['LeaseId', 'Parser', 'CategoryId'],
  properties: {
    LeaseId: { type: 'string', minLength: 1, maxLength: 128 },
    Parser: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' },
    CategoryId: opaqueId,
    CategoryType: { enum: ['UNSTRUCTURED', 'SESSION_FILE'] },
    Tags: {
      anyOf: [
        { type: 'string', maxLength: 4096 },
        { type: 'array', maxItems: 32, items: { type: 'string', minLength: 1, maxLength: 128 } },
      ],
    },
    ParserConfig: { anyOf: [{ type: 'string', maxLength: 4096 }, { type: 'object' }] },
    OriginalFileUrl: { type: 'string', maxLength: 2048 },
  },
} as const;

const envelope = (data: object) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['Code', 'Data', 'Message', 'RequestId', 'Status', 'Success'],
    properties: {
      Code: { const: 'Success' },
      Data: data,
      Message: { type: 'string' },
      RequestId: { type: 'string' },
      Status: { const: '200' },
      Success: { const: true },
    },
  }) as const;

export const addFileResponseSchema = {
  $id: 'AddFileResponse',
  ...envelope({
    type: 'object',
    additionalProperties: false,
    required: ['FileId', 'Parser'],
    properties: { FileId: { type: 'string', pattern: FILE_ID_PATTERN }, Parser: { type: 'string' } },
  }),
} as const;

/** INIT while the file is moving to its permanent place, FILE_IS_READY once there: the broker parses nothing. */
export const FILE_STATUSES = ['INIT', 'FILE_IS_READY'] as const;

export const describeFileResponseSchema = {
  $id: 'DescribeFileResponse',
  ...envelope({
    type: 'object',
    additionalProperties: false,
    required: ['FileId', 'FileName', 'FileType', 'SizeInBytes', 'Status', 'CategoryId', 'CreateTime', 'Parser', 'Tags'],
    properties: {
      FileId: { type: 'string', pattern: FILE_ID_PATTERN },
      FileName: { type: 'string' },
      FileType: { type: 'string' },
      SizeInBytes: { type: 'integer' },
      Status: { enum: FILE_STATUSES },
      CategoryId: { type: 'string' },
      /** UTC, as `YYYY-MM-DD HH:mm:ss`. */
      CreateTime: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$' },
      Parser: { type: 'string' },
      Tags: { type: 'array', items: { type: 'string' } },
    },
  }),
} as const;

export const deleteFileResponseSchema = {
  $id: 'DeleteFileResponse',
  ...envelope({
    type: 'object',
    additionalProperties: false,
    required: ['FileId'],
    properties: { FileId: { type: 'string', pattern: FILE_ID_PATTERN } },
  }),
} as const;
