import { ConfigError } from '../../shared/config.js';

/** S3_VERIFY_SIGNATURES: on unless set to "false", which is for debugging a client only. */
export function s3VerifySignatures(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(`S3_VERIFY_SIGNATURES must be "true" or "false", got "${value}"`);
}
