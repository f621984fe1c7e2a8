import { Sha256 } from '@smithy/core/checksum';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { HttpRequest } from '@smithy/core/protocols';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest as SignedRequest } from '@smithy/types';

export interface PutUrlSpec {
  readonly key: string;
  readonly expiresInSeconds: number;
  readonly contentType?: string;
  /** base64 of the raw MD5 digest, as S3 wants it in Content-MD5. */
  readonly contentMd5?: string;
  readonly contentLength?: number;
}

export interface UploadPresigner {
  /** A presigned S3 PUT URL; every declared header is signed, so S3 itself rejects a different file. */
  presignPut(spec: PutUrlSpec, nowMs: number): Promise<string>;
  /** The object's URL without any query string (Azure's blobUri). */
  objectUrl(key: string): string;
}

export interface PresignerOptions {
  readonly region: string;
  readonly bucket: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Emulator/LocalStack origin; path-style URLs are used when set. */
  readonly endpoint?: string;
}

/** RFC 3986 escaping of one key segment, exactly as the S3 client serialises it. */
const escapeSegment = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export const encodeKeyPath = (key: string): string => key.split('/').map(escapeSegment).join('/');

/**
 * Presigns PUT URLs without building an S3 client command per call: the endpoint is resolved once,
 * the signer (and its signing-key cache) lives as long as the Lambda, and the request is the same one
 * `getSignedUrl(s3, new PutObjectCommand(...))` signs, so the URLs are identical.
 */
export function createPresigner(options: PresignerOptions): UploadPresigner {
  const { region, bucket } = options;
  const dnsSuffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  // As the SDK does: virtual-hosted unless the bucket name cannot be a TLS host label (dots) or an endpoint is set.
  const pathStyle = options.endpoint !== undefined || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket);
  const origin = options.endpoint
    ? new URL(options.endpoint)
    : new URL(pathStyle ? `https://s3.${region}.${dnsSuffix}` : `https://${bucket}.s3.${region}.${dnsSuffix}`);
  const pathPrefix = pathStyle ? `/${bucket}/` : '/';
  const port = origin.port ? Number(origin.port) : undefined;
  const base = `${origin.protocol}//${origin.host}${pathPrefix}`;
  const signer = new S3RequestPresigner({
    credentials: options.credentials,
    region,
    sha256: Sha256,
  });
  // content-type is unsignable by default in S3RequestPresigner; declaring it makes S3 enforce it.
  const signableHeaders = new Set(['content-type']);

  return {
    objectUrl: (key) => base + encodeKeyPath(key),
    async presignPut(spec, nowMs) {
      const headers: Record<string, string> = { host: origin.host };
      if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
      if (spec.contentMd5 !== undefined) headers['content-md5'] = spec.contentMd5;
      if (spec.contentLength !== undefined) headers['content-length'] = String(spec.contentLength);
      const request = new HttpRequest({
        method: 'PUT',
        protocol: origin.protocol,
        hostname: origin.hostname,
        ...(port !== undefined ? { port } : {}),
        path: pathPrefix + encodeKeyPath(spec.key),
        query: { 'x-id': 'PutObject' },
        headers,
      });
      const signed = await signer.presign(request, {
        expiresIn: spec.expiresInSeconds,
        signingDate: new Date(nowMs),
        signableHeaders,
      });
      return formatSignedUrl(signed);
    },
  };
}

function formatSignedUrl(request: SignedRequest): string {
  const port = request.port ? `:${request.port}` : '';
  // Sorted like the SDK's formatUrl, so the URL is byte-identical to getSignedUrl's.
  const query = Object.entries(request.query ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${escapeSegment(k)}=${escapeSegment(String(v))}`)
    .join('&');
  return `${request.protocol}//${request.hostname}${port}${request.path}?${query}`;
}
