import { createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { UploadPresigner } from '../lease/ports.js';


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

/** SigV4 constants, as @smithy/signature-v4 and @aws-sdk/s3-request-presigner spell them. */
const ALGORITHM = 'AWS4-HMAC-SHA256';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const SERVICE = 's3';
const KEY_TYPE = 'aws4_request';
/** SigV4 presigned URLs cannot outlive a week. */
export const MAX_PRESIGNED_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * The signing key HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), "s3"), "aws4_request") only
 * changes with the UTC day and the credentials, so it is derived once per day and secret (the SDK
 * keeps the same cache). It is kept as a KeyObject: createHmac with a raw Buffer key costs ~6x more.
 */
interface SigningKeyCache {
  shortDate: string;
  secretAccessKey: string;
  key: KeyObject;
}

/** Strings are hashed as UTF-8 (node:crypto's default). */
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** `YYYYMMDDTHHMMSSZ` from epoch ms, whole seconds, as the SDK's formatDate builds it from toISOString. */
function amzDate(nowMs: number): string {
  return `${new Date(nowMs).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** Canonical header value: the SDK's whitespace normalisation (getCanonicalHeaders). */
const canonicalValue = (value: string): string =>
  value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');

const isProvider = (c: PresignerOptions['credentials']): c is AwsCredentialIdentityProvider => typeof c === 'function';

/**
 * Presigns PUT (and GET) URLs without building an S3 client command, an HttpRequest or a signer per call: the
 * endpoint is resolved once, the SigV4 signing key once per day and credentials, and the canonical
 * request is built directly and signed with node:crypto HMAC-SHA256. The result is the URL
 * `getSignedUrl(s3, new PutObjectCommand(...), { signableHeaders: new Set(['content-type']) })`
 * returns, byte for byte (S3RequestPresigner semantics: UNSIGNED-PAYLOAD, x-amz-* hoisted to the
 * query, host and every declared header signed, session token in the query); the unit tests and
 * `npm run bench` compare the two.
 */
export function createPresigner(options: PresignerOptions): UploadPresigner {
  const { region, bucket, credentials } = options;
  const dnsSuffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  // As the SDK does: virtual-hosted unless the bucket name cannot be a TLS host label (dots) or an endpoint is set.
  const pathStyle = options.endpoint !== undefined || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket);
  const origin = options.endpoint
    ? new URL(options.endpoint)
    : new URL(pathStyle ? `https://s3.${region}.${dnsSuffix}` : `https://${bucket}.s3.${region}.${dnsSuffix}`);
  const pathPrefix = pathStyle ? `/${bucket}/` : '/';
  // The SDK signs `host` as hostname[:port] and prints the same in the URL.
  const host = origin.host;
  const base = `${origin.protocol}//${host}`;
  const scopeSuffix = `/${region}/${SERVICE}/${KEY_TYPE}`;
  let cache: SigningKeyCache | undefined;

  function signingKey(shortDate: string, secretAccessKey: string): KeyObject {
    if (cache?.shortDate === shortDate && cache.secretAccessKey === secretAccessKey) return cache.key;
    const key = createSecretKey(hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, shortDate), region), SERVICE), KEY_TYPE));
    cache = { shortDate, secretAccessKey, key };
    return key;
  }

  /**
   * One presigned URL: `signed` are the header lines besides host, already sorted by name (they all
   * sort before "host"). Query parameters follow the SDK's order (keys sorted by code unit; no key
   * needs escaping, values are escaped): X-Amz-Algorithm, -Content-Sha256, -Credential, -Date, -Expires,
   * [-Security-Token,] -SignedHeaders, x-id; X-Amz-Signature sorts between -Security-Token and
   * -SignedHeaders in the final URL.
   */
  async function presign(
    method: 'PUT' | 'GET' | 'HEAD' | 'DELETE',
    xId: string | undefined,
    key: string,
    expiresIn: number,
    signed: readonly (readonly [string, string])[],
    nowMs: number,
    /** Further query parameters, escaped and sorted: they sort after X-Amz-* and before x-id. */
    extraQuery = '',
  ) {
    const identity = isProvider(credentials) ? await credentials() : credentials;
    // The SDK's validateResolvedCredentials.
    if (typeof identity?.accessKeyId !== 'string' || typeof identity.secretAccessKey !== 'string') {
      throw new Error('Resolved credential object is not valid');
    }
    if (expiresIn > MAX_PRESIGNED_TTL_SECONDS) {
      throw new Error('Signature version 4 presigned URLs must have an expiration date less than one week in the future');
    }
    const longDate = amzDate(nowMs);
    const shortDate = longDate.slice(0, 8);
    const path = pathPrefix + encodeKeyPath(key);

    let headers = '';
    let signedHeaders = '';
    for (const [name, value] of signed) {
      headers += `${name}:${canonicalValue(value)}\n`;
      signedHeaders += `${name};`;
    }
    headers += `host:${canonicalValue(host)}\n`;
    signedHeaders += 'host';

    const head =
      `X-Amz-Algorithm=${ALGORITHM}` +
      `&X-Amz-Content-Sha256=${UNSIGNED_PAYLOAD}` +
      `&X-Amz-Credential=${escapeSegment(`${identity.accessKeyId}/${shortDate}${scopeSuffix}`)}` +
      `&X-Amz-Date=${longDate}` +
      `&X-Amz-Expires=${expiresIn.toString(10)}` +
      (identity.sessionToken ? `&X-Amz-Security-Token=${escapeSegment(identity.sessionToken)}` : '');
    const tail = `X-Amz-SignedHeaders=${escapeSegment(signedHeaders)}${extraQuery ? `&${extraQuery}` : ''}${xId ? `&x-id=${xId}` : ''}`;

    const canonicalRequest = `${method}\n${path}\n${head}&${tail}\n${headers}\n${signedHeaders}\n${UNSIGNED_PAYLOAD}`;
    const stringToSign = `${ALGORITHM}\n${longDate}\n${shortDate}${scopeSuffix}\n${hash('sha256', canonicalRequest, 'hex')}`;
    const signature = createHmac('sha256', signingKey(shortDate, identity.secretAccessKey)).update(stringToSign).digest('hex');
    return `${base}${path}?${head}&X-Amz-Signature=${signature}&${tail}`;
  }

  return {
    objectUrl: (key) => base + pathPrefix + encodeKeyPath(key),
    keyOfUrl(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return undefined;
      }
      if (`${parsed.protocol}//${parsed.host}` !== base || !parsed.pathname.startsWith(pathPrefix)) return undefined;
      try {
        return parsed.pathname.slice(pathPrefix.length).split('/').map(decodeURIComponent).join('/');
      } catch {
        return undefined;
      }
    },
    presignPut(spec, nowMs) {
      // Sorted by name: content-length < content-md5 < content-type (< host).
      const signed: [string, string][] = [];
      if (spec.contentLength !== undefined) signed.push(['content-length', String(spec.contentLength)]);
      if (spec.contentMd5 !== undefined) signed.push(['content-md5', spec.contentMd5]);
      if (spec.contentType !== undefined) signed.push(['content-type', spec.contentType]);
      return presign('PUT', 'PutObject', spec.key, spec.expiresInSeconds, signed, nowMs);
    },
    presignGet(key, expiresInSeconds, nowMs) {
      return presign('GET', 'GetObject', key, expiresInSeconds, [], nowMs);
    },
    presignObjectCall(method, key, expiresInSeconds, nowMs) {
      // The SDK names the operation in the query for DELETE only (HEAD of a key is unambiguous).
      return presign(method, method === 'HEAD' ? undefined : 'DeleteObject', key, expiresInSeconds, [], nowMs);
    },
    presignList(prefix, continuationToken, expiresInSeconds, nowMs) {
      // The bucket itself (key ''), with ListObjectsV2's parameters in code-unit order (list-type=2 names it: no x-id).
      const token = continuationToken === undefined ? '' : `continuation-token=${escapeSegment(continuationToken)}&`;
      return presign('GET', undefined, '', expiresInSeconds, [], nowMs, `${token}list-type=2&prefix=${escapeSegment(prefix)}`);
    },
  };
}
