import type { Clock } from '../clock.js';
import { AuthenticationError } from '../errors.js';
import { Acs3Error, parseAcs3Authorization, verifyAcs3 } from './acs3.js';
import type { AccessKeyStore } from './access-keys.js';
import { bodyBytes, header } from '../http/request.js';
import type { Authenticator } from './caller.js';
import type { NonceStore } from './nonces.js';

/** x-acs-date must be within this much of the server's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const ACS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** The SDKs send a few dozen characters; the bound keeps a nonce item's key far inside DynamoDB's limit. */
export const MAX_NONCE_LENGTH = 256;

/**
 * API_HOSTS (local mode): more names clients reach the broker by, comma-separated, lower-cased, beside
 * the endpoint the request arrived at (a reverse proxy or port forward that keeps the client's Host).
 */
export function apiHostsFrom(env: Readonly<Record<string, string | undefined>>): readonly string[] {
  return (env.API_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
}

export interface AlibabaAuthDeps {
  readonly keys: AccessKeyStore;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  /** Accepted beside the request's own endpoint, as API Gateway names it (domainName): API_HOSTS locally. */
  readonly hosts?: readonly string[];
}

/**
 * Is the Host a request was signed for one of these? A name without a port stands for any port of it:
 * API Gateway's domainName has none, while an SDK configured with `host:443` (or LocalStack's `:4566`)
 * signs the port it was given. The host name, which is what tells endpoints apart, must match exactly.
 */
export function hostAccepted(host: string, accepted: readonly string[]): boolean {
  const name = host.replace(/:\d+$/, '');
  return accepted.some((a) => a === host || (a === name && !/:\d+$/.test(a)));
}

/**
 * The Alibaba contract's own authentication: an ACS3-HMAC-SHA256 signature by a known key, made for this
 * endpoint, with a fresh x-acs-date and a nonce never seen before. The signature is checked before the
 * nonce is spent, so an unsigned request cannot burn someone else's nonce. Binding the host matters
 * because nonces are per deployment: a request captured on its way to another endpoint (Alibaba's own,
 * or another deployment) with the same key must not be replayable here.
 */
export function alibabaAuthenticator(deps: AlibabaAuthDeps): Authenticator {
  return async (event) => {
    let authorization;
    try {
      authorization = parseAcs3Authorization(header(event, 'authorization'));
    } catch (error) {
      throw new AuthenticationError((error as Acs3Error).failure === 'missing' ? 'missing' : 'malformed', (error as Error).message);
    }
    const key = await deps.keys.find(authorization.accessKeyId);
    if (!key) throw new AuthenticationError('unknown-key', `The AccessKeyId '${authorization.accessKeyId}' is not found.`);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    const host = (headers.host ?? '').trim().toLowerCase();
    if (!hostAccepted(host, [event.requestContext.domainName.toLowerCase(), ...(deps.hosts ?? [])])) throw new AuthenticationError('signature', `The request was made for the host '${host}', which is not this endpoint.`);
    try {
      verifyAcs3(
        { method: event.requestContext.http.method, rawPath: event.rawPath, rawQuery: event.rawQueryString ?? '', headers, body: bodyBytes(event) },
        authorization,
        key.secret,
      );
    } catch (error) {
      if (error instanceof Acs3Error) throw new AuthenticationError(error.failure === 'malformed' ? 'malformed' : 'signature', error.message);
      throw error;
    }
    const now = deps.clock.now();
    const date = headers['x-acs-date'];
    const signedAt = date && ACS_DATE.test(date) ? Date.parse(date) : Number.NaN;
    // An impossible calendar date parses to NaN: refused, or it would never go stale.
    if (!Number.isFinite(signedAt) || Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
      throw new AuthenticationError('expired', 'The x-acs-date of the request is missing or more than 15 minutes from the server time.');
    }
    const nonce = headers['x-acs-signature-nonce'];
    if (!nonce || nonce.length > MAX_NONCE_LENGTH) throw new AuthenticationError('malformed', `The x-acs-signature-nonce header is required (at most ${MAX_NONCE_LENGTH} characters).`);
    if (!(await deps.nonces.use(key.accessKeyId, nonce, now))) {
      throw new AuthenticationError('nonce-used', 'The x-acs-signature-nonce was used before.');
    }
    return { kind: 'alibaba-key', accessKeyId: key.accessKeyId, workspaces: key.workspaces };
  };
}
