import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { PutUrlSpec } from '../shared/lease/ports.js';

/**
 * The reference our presigner must equal byte for byte: the usual `getSignedUrl` with one client and a
 * command per URL, content-type made signable when it is declared. The bench times it; tests compare.
 */
export function sdkPresign(s3: S3Client, bucket: string, spec: PutUrlSpec, nowMs: number): Promise<string> {
  return getSignedUrl(
    s3,
    new PutObjectCommand({
      Bucket: bucket,
      Key: spec.key,
      ...(spec.contentType !== undefined ? { ContentType: spec.contentType } : {}),
      ...(spec.contentMd5 !== undefined ? { ContentMD5: spec.contentMd5 } : {}),
      ...(spec.contentLength !== undefined ? { ContentLength: spec.contentLength } : {}),
    }),
    {
      expiresIn: spec.expiresInSeconds,
      signingDate: new Date(nowMs),
      ...(spec.contentType !== undefined ? { signableHeaders: new Set(['content-type']) } : {}),
    },
  );
}
