import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Refusal } from './s3-refusal.js';

/**
 * A SigV4 verifier written from AWS's published algorithm (the "Signature Version 4 signing process"
 * and S3's "Authenticating Requests" pages), for the embedded S3: it shares no code with the broker's
 * presigner (shared/adapters/presign.ts) or the SDK's signer, so a bug in either cannot hide itself here. It
 * rebuilds the canonical request from the request as received (the raw request target and header
 * fields), not from what a signer would have produced. Checked against the AWS signing test suite and
 * S3's documented examples (test/unit/sigv4-verifier.test.ts).
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SigV4 query-signed requests live at most a week. */
export const MAX_EXPIRES_SECONDS = 604_800;
/** Header-signed requests must be dated within 15 minutes of the server's clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export interface ReceivedRequest {
  readonly method: string;
  /** The request target exactly as received: raw path and raw query. */
  readonly target: string;
  /** Header fields in arrival order (as Node's rawHeaders pairs them). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

export interface VerifierSettings {
  readonly region: string;
  readonly service: string;
  /** The secret of an access key, or undefined when the key is unknown. */
  readonly secretFor: (accessKeyId: string) => string | undefined;
  /** S3 refuses a request with x-amz-* headers its signature does not cover; other services do not. */
  readonly requireSignedAmzHeaders: boolean;
}

export type AuthMode = 'query' | 'header';

export interface ParsedAuth {
  readonly mode: AuthMode;
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly scopeRegion: string;
  readonly scopeService: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  readonly amzDate: string;
  /** Query mode only. */
  readonly expiresSeconds?: number;
}

export interface Verified {
  readonly auth: ParsedAuth;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

interface QueryParam {
  readonly name: string;
  readonly value: string;
}

/** RFC 3986 percent-encoding of everything but the unreserved set, the only encoding SigV4 accepts. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Servers decode what they receive; text that is not valid percent-encoding is taken literally. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

export function parseQuery(query: string): QueryParam[] {
  if (query === '') return [];
  return query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const rawName = eq < 0 ? part : part.slice(0, eq);
      const rawValue = eq < 0 ? '' : part.slice(eq + 1);
      return { name: decode(rawName), value: decode(rawValue) };
    });
}

/** S3 signs the path as each segment's decoded text encoded once; it never removes dot segments. */
export function canonicalPath(rawPath: string): string {
  if (rawPath === '') return '/';
  return rawPath
    .split('/')
    .map((segment) => uriEncode(decode(segment)))
    .join('/');
}

export function canonicalQuery(params: readonly QueryParam[]): string {
  const encoded = params.map((p) => [uriEncode(p.name), uriEncode(p.value)] as const);
  // Sorted by encoded name, then value, in code-unit (byte, for this ASCII) order.
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Trimmed, with runs of whitespace (including folded lines) collapsed to one space. */
const canonicalValue = (value: string): string => value.replace(/\s+/g, ' ').trim();

export function canonicalHeaders(headers: ReceivedRequest['headers'], signed: readonly string[]): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const values = byName.get(key) ?? [];
    values.push(canonicalValue(value));
    byName.set(key, values);
  }
  return signed.map((name) => `${name}:${(byName.get(name) ?? []).join(',')}\n`).join('');
}

export function headerValue(headers: ReceivedRequest['headers'], name: string): string | undefined {
  const values = headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  return values.length ? values.join(',') : undefined;
}

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function amzDateToMs(amzDate: string): number {
  const m = AMZ_DATE.exec(amzDate);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

/** `Date: Fri, 24 May 2013 00:00:00 GMT` as `20130524T000000Z`, for requests without X-Amz-Date. */
function httpDateToAmz(value: string): string | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : `${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

const QUERY_ERROR = 'AuthorizationQueryParametersError';
const HEADER_ERROR = 'AuthorizationHeaderMalformed';

function parseCredential(mode: AuthMode, credential: string) {
  const parts = credential.split('/');
  const malformed = mode === 'query' ? QUERY_ERROR : HEADER_ERROR;
  if (parts.length !== 5 || parts.some((p) => p === '') || parts[4] !== 'aws4_request') {
    throw new S3Refusal(400, malformed, `Error parsing the Credential parameter "${credential}"; expected "<key>/<YYYYMMDD>/<region>/<service>/aws4_request".`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService] = parts as [string, string, string, string];
  return { accessKeyId, scopeDate, scopeRegion, scopeService };
}

function parseSignedHeaders(mode: AuthMode, list: string): string[] {
  const names = list.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase())) {
    throw new S3Refusal(400, mode === 'query' ? QUERY_ERROR : HEADER_ERROR, `SignedHeaders "${list}" is not a ;-separated list of lower-case header names.`);
  }
  return names;
}

function parseQueryAuth(params: readonly QueryParam[]): ParsedAuth {
  const get = (name: string) => params.find((p) => p.name === name)?.value;
  const required = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];
  if (required.some((name) => get(name) === undefined)) {
    throw new S3Refusal(400, QUERY_ERROR, `Query-string authentication version 4 requires the ${required.join(', ')} parameters.`);
  }
  // One signature: a second one is no signature S3 calculated (and would reach s3rver as an array).
  if (params.filter((p) => p.name === 'X-Amz-Signature').length > 1) {
    throw new S3Refusal(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  if (get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new S3Refusal(400, QUERY_ERROR, `X-Amz-Algorithm only supports "${ALGORITHM}".`);
  }
  const amzDate = get('X-Amz-Date')!;
  if (!AMZ_DATE.test(amzDate) || Number.isNaN(amzDateToMs(amzDate))) {
    throw new S3Refusal(400, QUERY_ERROR, `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'".`);
  }
  const expiresText = get('X-Amz-Expires')!;
  if (!/^\d{1,9}$/.test(expiresText)) {
    throw new S3Refusal(400, QUERY_ERROR, 'X-Amz-Expires should be a number of seconds.');
  }
  const expiresSeconds = Number(expiresText);
  if (expiresSeconds > MAX_EXPIRES_SECONDS) {
    throw new S3Refusal(400, QUERY_ERROR, `X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than ${MAX_EXPIRES_SECONDS} seconds.`);
  }
  return {
    mode: 'query',
    ...parseCredential('query', get('X-Amz-Credential')!),
    signedHeaders: parseSignedHeaders('query', get('X-Amz-SignedHeaders')!),
    signature: get('X-Amz-Signature')!,
    amzDate,
    expiresSeconds,
  };
}

function parseHeaderAuth(authorization: string, headers: ReceivedRequest['headers']): ParsedAuth {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new S3Refusal(400, 'InvalidRequest', `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signed || !signature) {
    throw new S3Refusal(400, HEADER_ERROR, 'The authorization header is malformed; it must carry Credential, SignedHeaders and Signature.');
  }
  const amzHeader = headerValue(headers, 'x-amz-date');
  const dateHeader = headerValue(headers, 'date');
  const amzDate = amzHeader ?? (dateHeader === undefined ? undefined : httpDateToAmz(dateHeader));
  if (amzDate === undefined || Number.isNaN(amzDateToMs(amzDate))) {
    throw new S3Refusal(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header.');
  }
  return {
    mode: 'header',
    ...parseCredential('header', credential),
    signedHeaders: parseSignedHeaders('header', signed),
    signature,
    amzDate,
  };
}

/** Which SigV4 form a request uses, or undefined when it carries no credentials at all. */
export function authModeOf(request: ReceivedRequest): AuthMode | undefined {
  const params = parseQuery(splitTarget(request.target).query);
  const inQuery = params.some((p) => p.name === 'X-Amz-Algorithm' || p.name === 'X-Amz-Signature' || p.name === 'Signature');
  const inHeader = headerValue(request.headers, 'authorization') !== undefined;
  if (inQuery && inHeader) {
    throw new S3Refusal(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified.');
  }
  if (params.some((p) => p.name === 'Signature' || p.name === 'AWSAccessKeyId')) {
    throw new S3Refusal(400, 'InvalidRequest', `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`);
  }
  return inQuery ? 'query' : inHeader ? 'header' : undefined;
}

export interface VerifyOptions {
  readonly nowMs: number;
  /**
   * The hash that ends the canonical request. S3 takes it from `x-amz-content-sha256` (header form)
   * or uses UNSIGNED-PAYLOAD (query form); other services hash the body. The caller decides.
   */
  readonly payloadHash: (auth: ParsedAuth) => string;
}

/**
 * Verifies a SigV4-signed request (either form). Returns what was verified, or throws the S3Refusal
 * S3 would answer with. Checks run in the order S3 appears to apply them: the form of the parameters,
 * the credential scope, the time window, the headers that must be signed, then the signature.
 */
export function verifySigV4(request: ReceivedRequest, settings: VerifierSettings, options: VerifyOptions): Verified {
  const { path, query } = splitTarget(request.target);
  const params = parseQuery(query);
  const mode = authModeOf(request);
  if (mode === undefined) throw new S3Refusal(403, 'AccessDenied', 'Access Denied');
  const auth = mode === 'query' ? parseQueryAuth(params) : parseHeaderAuth(headerValue(request.headers, 'authorization')!, request.headers);
  const malformed = mode === 'query' ? QUERY_ERROR : HEADER_ERROR;

  const secret = settings.secretFor(auth.accessKeyId);
  if (secret === undefined) {
    throw new S3Refusal(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: auth.accessKeyId });
  }
  if (auth.scopeRegion !== settings.region) {
    throw new S3Refusal(400, malformed, `Error parsing the Credential parameter; the region '${auth.scopeRegion}' is wrong; expecting '${settings.region}'`, { Region: settings.region });
  }
  if (auth.scopeService !== settings.service) {
    throw new S3Refusal(400, malformed, `Error parsing the Credential parameter; incorrect service "${auth.scopeService}". This endpoint belongs to "${settings.service}".`);
  }
  if (auth.scopeDate !== auth.amzDate.slice(0, 8)) {
    throw new S3Refusal(400, malformed, 'Invalid credential date. Date is not the same as X-Amz-Date.');
  }

  const signedAt = amzDateToMs(auth.amzDate);
  if (auth.mode === 'query') {
    // Dated in the future beyond clock skew, a URL would outlive the one-week cap.
    if (signedAt - options.nowMs > MAX_SKEW_MS) throw new S3Refusal(403, 'AccessDenied', 'Request is not valid yet');
    const expiresAt = signedAt + auth.expiresSeconds! * 1000;
    if (options.nowMs > expiresAt) {
      throw new S3Refusal(403, 'AccessDenied', 'Request has expired', {
        'X-Amz-Expires': String(auth.expiresSeconds),
        Expires: new Date(expiresAt).toISOString(),
        ServerTime: new Date(options.nowMs).toISOString(),
      });
    }
  } else if (Math.abs(options.nowMs - signedAt) > MAX_SKEW_MS) {
    throw new S3Refusal(403, 'RequestTimeTooSkewed', "The difference between the request time and the server's time is too large.", {
      RequestTime: auth.amzDate,
      ServerTime: new Date(options.nowMs).toISOString(),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }

  if (!auth.signedHeaders.includes('host')) {
    throw new S3Refusal(400, malformed, 'The host header must be signed.');
  }
  // x-amz-* request headers change what S3 does, so S3 refuses any that the signature does not cover.
  const unsigned = [...new Set(request.headers.map(([n]) => n.toLowerCase()))].filter(
    (n) => n.startsWith('x-amz-') && !auth.signedHeaders.includes(n),
  );
  if (settings.requireSignedAmzHeaders && unsigned.length) {
    throw new S3Refusal(403, 'AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
  }

  const signedParams = mode === 'query' ? params.filter((p) => p.name !== 'X-Amz-Signature') : params;
  const canonicalRequest = [
    request.method,
    canonicalPath(path),
    canonicalQuery(signedParams),
    canonicalHeaders(request.headers, auth.signedHeaders),
    auth.signedHeaders.join(';'),
    options.payloadHash(auth),
  ].join('\n');
  const scope = `${auth.scopeDate}/${auth.scopeRegion}/${auth.scopeService}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${auth.amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const expected = createHmac('sha256', signingKey(secret, auth.scopeDate, auth.scopeRegion, auth.scopeService)).update(stringToSign, 'utf8').digest();
  const provided = /^[0-9a-f]{64}$/.test(auth.signature) ? Buffer.from(auth.signature, 'hex') : undefined;
  if (!provided || !timingSafeEqual(expected, provided)) {
    throw new S3Refusal(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: auth.accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: auth.signature,
      CanonicalRequest: canonicalRequest,
    });
  }
  return { auth, canonicalRequest, stringToSign };
}
