import { randomBytes } from 'node:crypto';

/**
 * A request the embedded S3 refuses, as S3 would: an HTTP status, an S3 error code and message, and
 * the extra fields S3 adds to some errors (the canonical request of a signature mismatch, for one).
 */
export class S3Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'S3Refusal';
  }
}

const escapeXml = (text: string): string =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** S3's XML error document. */
export function refusalXml(refusal: S3Refusal, requestId: string = randomBytes(8).toString('hex').toUpperCase()): string {
  const fields: Array<[string, string]> = [['Code', refusal.code], ['Message', refusal.message], ...Object.entries(refusal.details), ['RequestId', requestId]];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields.map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('')}</Error>`;
}
