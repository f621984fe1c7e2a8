/** JSON Schemas of the Alibaba Cloud Model Studio "ApplyFileUploadLease" contract. */

export const ALIBABA_MAX_FILE_BYTES = 100_000_000;
export const ALIBABA_EXTENSIONS = ['pdf', 'doc', 'docx', 'md', 'txt', 'ppt', 'pptx'] as const;

/** Ids are opaque in the contract; we accept the characters real ids use and bound their length. */
const opaqueId = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$' } as const;

export const alibabaPathSchema = {
  $id: 'ApplyFileUploadLeasePath',
  type: 'object',
  required: ['WorkspaceId', 'CategoryId'],
  properties: { WorkspaceId: opaqueId, CategoryId: opaqueId },
} as const;

/** One case-insensitive alternative per supported extension: JSON Schema patterns have no /i flag. */
const caseInsensitive = (word: string): string =>
  [...word].map((c) => `[${c.toLowerCase()}${c.toUpperCase()}]`).join('');
export const FILE_NAME_PATTERN = `^[^\\u0000-\\u001f\\u007f]*\\.(?:${ALIBABA_EXTENSIONS.map(caseInsensitive).join('|')})$`;

export const alibabaParamsSchema = {
  $id: 'ApplyFileUploadLeaseRequest',
  type: 'object',
  required: ['FileName', 'Md5', 'SizeInBytes'],
  properties: {
    FileName: { type: 'string', minLength: 4, maxLength: 128, pattern: FILE_NAME_PATTERN },
    Md5: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' },
    /** A string in the contract; SDKs send it as a string, JSON clients often as a number. */
    SizeInBytes: {
      anyOf: [
        { type: 'integer', minimum: 1 },
        // Digits, not all zeros: "0" is not a size (the upper bound is the handler's FileTooLarge).
        { type: 'string', maxLength: 20, pattern: '^0*[1-9][0-9]*$' },
      ],
    },
  },
} as const;

export const alibabaResponseSchema = {
  $id: 'ApplyFileUploadLeaseResponse',
  type: 'object',
  additionalProperties: false,
  required: ['Code', 'Data', 'Message', 'RequestId', 'Status', 'Success'],
  properties: {
    Code: { const: 'Success' },
    Data: {
      type: 'object',
      additionalProperties: false,
      required: ['FileUploadLeaseId', 'Param', 'Type'],
      properties: {
        FileUploadLeaseId: { type: 'string', pattern: '^[0-9a-f]{32}\\.[0-9]{13}$' },
        Param: {
          type: 'object',
          additionalProperties: false,
          required: ['Method', 'Url', 'Headers'],
          properties: {
            Method: { enum: ['PUT', 'POST'] },
            Url: { type: 'string', format: 'uri' },
            Headers: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        Type: { enum: ['OSS.PreSignedURL', 'HTTP'] },
      },
    },
    Message: { type: 'string' },
    RequestId: { type: 'string' },
    Status: { const: '200' },
    Success: { const: true },
  },
} as const;

export const alibabaErrorSchema = {
  $id: 'AlibabaErrorResponse',
  type: 'object',
  additionalProperties: false,
  required: ['Code', 'Message', 'RequestId', 'Status', 'Success'],
  properties: {
    Code: { type: 'string', pattern: '^[A-Z][A-Za-z]*(?:\\.[A-Z][A-Za-z]*)*$' },
    Message: { type: 'string' },
    RequestId: { type: 'string' },
    Status: { type: 'string', pattern: '^[45][0-9]{2}$' },
    Success: { const: false },
  },
} as const;
