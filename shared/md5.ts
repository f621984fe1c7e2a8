/** S3 wants Content-MD5 as base64 of the raw digest; the Alibaba contract declares it as hex. */
export const md5HexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

/** A single-part upload's ETag is the quoted hex MD5 of its bytes. */
export const etagToMd5Hex = (etag: string): string => etag.replace(/"/g, '').toLowerCase();
