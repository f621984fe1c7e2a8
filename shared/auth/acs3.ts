import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Alibaba Cloud's V3 request signature, ACS3-HMAC-SHA256, verified from the request as API Gateway
 * hands it over: the canonical request (method, path, sorted query, the signed headers, the body's
 * SHA-256 as declared in x-acs-content-sha256), hashed and HMAC'd with the key's secret. Written from
 * Alibaba's published algorithm; the tests check it against signatures the official SDK computes.
 */
export const ACS3 = 'ACS3-HMAC-SHA256';

export interface Acs3Request {
  readonly method: string;
  /** Path as received (percent-encoded). */
  readonly rawPath: string;
  /** Query string as received, without `?`. */
  readonly rawQuery: string;
  /** Lower-case header names; values as received. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface Acs3Authorization {
  readonly accessKeyId: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** Why a request is refused; each contract edge names it in its own codes. */
export type Acs3Failure = 'missing' | 'malformed' | 'signature' | 'content-hash';

export class Acs3Error extends Error {
  constructor(
    readonly failure: Acs3Failure,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 3986: everything but the unreserved set is percent-encoded, as the SDK's percentEncode does. */
const encode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function parseAcs3Authorization(header: string | undefined): Acs3Authorization {
  if (header === undefined || header.trim() === '') throw new Acs3Error('missing', 'The Authorization header is required.');
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== ACS3) throw new Acs3Error('malformed', `The Authorization header must use ${ACS3}.`);
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signed || !signature || !/^[0-9a-f]{64}$/.test(signature)) {
    throw new Acs3Error('malformed', 'The Authorization header must carry Credential, SignedHeaders and a hex Signature.');
  }
  // Bounded before any lookup: ids are short alphanumerics, header names lower-case tokens.
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(accessKeyId)) throw new Acs3Error('malformed', 'The Credential is not an AccessKeyId.');
  const signedHeaders = signed.split(';');
  if (signedHeaders.length > 64 || !signedHeaders.every((h) => /^[a-z0-9-]{1,128}$/.test(h))) {
    throw new Acs3Error('malformed', 'SignedHeaders must list lower-case header names.');
  }
  return { accessKeyId, signedHeaders, signature };
}

export function canonicalAcs3Request(request: Acs3Request, signedHeaders: readonly string[], payloadHash: string): string {
  const path = request.rawPath.split('/').map((segment) => encode(decode(segment))).join('/') || '/';
  const params = request.rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = decode((eq < 0 ? p : p.slice(0, eq)).replace(/\+/g, ' '));
      const value = eq < 0 ? '' : decode(p.slice(eq + 1).replace(/\+/g, ' '));
      return [encode(name), encode(value)] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const query = params.map(([n, v]) => `${n}=${v}`).join('&');
  // API Gateway joins repeated headers with commas, which is how the canonical form lists them too.
  const value = (name: string) => (Object.hasOwn(request.headers, name) ? (request.headers[name] ?? '') : '');
  const headers = signedHeaders.map((name) => `${name}:${value(name).trim()}\n`).join('');
  return [request.method, path, query, headers, signedHeaders.join(';'), payloadHash].join('\n');
}

export function acs3Signature(canonicalRequest: string, secret: string): string {
  const stringToSign = `${ACS3}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
}

/**
 * The headers a signature must cover: host (which endpoint it was made for), content-type when sent (how
 * the body is read), and every x-acs-* header (date, nonce, body hash). These are exactly the headers
 * Alibaba's V3 signers sign (@alicloud/openapi-util's and gateway-pop's getSignedHeaders), so the
 * official clients always satisfy it, and nothing that decides the request's meaning can be swapped.
 */
export function mustBeSigned(headers: Acs3Request['headers']): string[] {
  return ['host', ...Object.keys(headers).filter((h) => h === 'content-type' || h.startsWith('x-acs-'))];
}

/**
 * Verifies the signature of a request whose key's secret is known. The body must hash to the declared
 * x-acs-content-sha256, and every header of mustBeSigned must be signed.
 */
export function verifyAcs3(request: Acs3Request, authorization: Acs3Authorization, secret: string): void {
  const declared = request.headers['x-acs-content-sha256'];
  const actual = createHash('sha256').update(request.body).digest('hex');
  if (declared !== actual) throw new Acs3Error('content-hash', 'The x-acs-content-sha256 header does not match the body.');
  const unsigned = mustBeSigned(request.headers).filter((h) => !authorization.signedHeaders.includes(h));
  if (unsigned.length) throw new Acs3Error('malformed', `These headers must be signed: ${unsigned.join(', ')}.`);
  const expected = Buffer.from(acs3Signature(canonicalAcs3Request(request, authorization.signedHeaders, declared), secret), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(authorization.signature, 'hex'))) {
    throw new Acs3Error('signature', 'The request signature does not conform to Alibaba Cloud standards.');
  }
}
