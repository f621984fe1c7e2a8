import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthenticationError, DependencyError } from '../errors.js';
import type { AzureGrants } from './azure-grants.js';
import { header } from '../http/request.js';
import type { Authenticator } from './caller.js';

export interface JwtSettings {
  /** The OIDC issuer (`iss`); its discovery document names the JWKS. */
  readonly issuer: string;
  /** One or more accepted audiences (JWT_AUDIENCE, comma-separated). */
  readonly audience: string | readonly string[];
  /** Local mode only: an http:// issuer (a test or development identity provider). */
  readonly allowHttpIssuer?: boolean;
  /** Epoch ms; tests pass their own. */
  readonly now?: () => number;
}

/**
 * After the issuer failed (its discovery document or key set could not be had), requests fail at once
 * (503) for this long before it is asked again, doubling up to OUTAGE_MAX_BACKOFF_MS: an outage is not
 * amplified into one more fetch per request, forged tokens included.
 */
export const OUTAGE_FIRST_BACKOFF_MS = 5_000;
export const OUTAGE_MAX_BACKOFF_MS = 60_000;

/** jose reports a key set it could not fetch or read as a bare JOSEError (no subclass). */
const isKeySetFetchFailure = (error: unknown) => error instanceof errors.JOSEError && (error as { code?: string }).code === 'ERR_JOSE_GENERIC';

/** The issuer failing (discovery, or its key set timing out or failing), not the caller's token. */
const isProviderFailure = (error: unknown) => !(error instanceof errors.JOSEError) || error instanceof errors.JWKSTimeout || isKeySetFetchFailure(error);

/** After a refresh for an unknown `kid`, further unknown kids are refused without asking the issuer again for this long. */
export const UNKNOWN_KID_COOLDOWN_MS = 30_000;

/**
 * The JWKS of an issuer, found through its OpenID discovery document once and then cached (jose's remote
 * key set). A token naming a `kid` the cached set lacks makes one refresh (the issuer may have rotated
 * its keys) and is refused if the key is still unknown. The cooldown applies to such refreshes only,
 * not to the first load: jose's own cooldown would also skip a refresh right after the first load, and
 * a rotation in that moment would lock everyone out for its duration.
 */
function keySetOf(settings: JwtSettings): JWTVerifyGetKey {
  const issuer = new URL(settings.issuer);
  if (issuer.protocol !== 'https:' && !(settings.allowHttpIssuer && issuer.protocol === 'http:')) {
    throw new Error(`JWT_ISSUER must be an https URL (got ${settings.issuer})`);
  }
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const load = async (): Promise<JWTVerifyGetKey> => {
    const url = `${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`OIDC discovery ${url} answered ${res.status}`);
    const { jwks_uri: jwksUri } = (await res.json()) as { jwks_uri?: string };
    if (!jwksUri) throw new Error(`OIDC discovery ${url} has no jwks_uri`);
    const remote = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000, cooldownDuration: 0 });
    let lastUnknownRefresh = Number.NEGATIVE_INFINITY;
    return async (header, token) => {
      const cached = remote.jwks();
      if (cached && !cached.keys.some((k) => k.kid === header.kid)) {
        if (Date.now() - lastUnknownRefresh < UNKNOWN_KID_COOLDOWN_MS) throw new errors.JWKSNoMatchingKey();
        lastUnknownRefresh = Date.now();
      }
      return remote(header, token);
    };
  };
  const now = settings.now ?? Date.now;
  let outage: { until: number; backoff: number; error: unknown } | undefined;
  return async (header, token) => {
    if (outage && now() < outage.until) throw outage.error;
    try {
      // A failed discovery is retried after the backoff, not cached.
      keySet ??= load().catch((error: unknown) => {
        keySet = undefined;
        throw error;
      });
      const key = await (await keySet)(header, token);
      outage = undefined;
      return key;
    } catch (error) {
      if (isProviderFailure(error)) {
        const backoff = outage ? Math.min(outage.backoff * 2, OUTAGE_MAX_BACKOFF_MS) : OUTAGE_FIRST_BACKOFF_MS;
        outage = { until: now() + backoff, backoff, error };
      }
      throw error;
    }
  };
}

/** ARM's bearer-token authentication: RS256 only, issuer, audience, exp and nbf checked. */
export function azureAuthenticator(settings: JwtSettings, grants: AzureGrants): Authenticator {
  const keys = keySetOf(settings);
  const audiences = (typeof settings.audience === 'string' ? settings.audience.split(',') : [...settings.audience]).map((a) => a.trim()).filter(Boolean);
  return async (event) => {
    const authorization = header(event, 'authorization');
    if (!authorization) throw new AuthenticationError('missing', "Authentication failed. The 'Authorization' header is missing.");
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new AuthenticationError('malformed', "Authentication failed. The 'Authorization' header is not a bearer token.");
    let payload;
    try {
      // A token without exp would never expire: exp is required, not only checked when present.
      ({ payload } = await jwtVerify(match[1]!, keys, { issuer: settings.issuer, audience: audiences, algorithms: ['RS256'], requiredClaims: ['exp'] }));
    } catch (error) {
      const expired = error instanceof errors.JWTExpired;
      // The issuer unreachable (discovery, or its key set timing out or failing) is its failure, not the caller's.
      if (isProviderFailure(error)) {
        throw new DependencyError('identity-provider', true, { cause: error });
      }
      throw new AuthenticationError('invalid-token', expired ? 'The access token expiry UTC time is earlier than current UTC time.' : 'The access token is invalid.');
    }
    // Entra ID's object id names the principal; sub only when there is no oid at all. An oid of another
    // type is a forged or broken token: falling back to sub would let it pick its principal.
    const principal = payload.oid !== undefined ? payload.oid : payload.sub;
    if (typeof principal !== 'string' || principal === '') throw new AuthenticationError('invalid-token', 'The access token names no principal (oid or sub) as a string.');
    const grant = await grants.grantFor(principal);
    return { kind: 'azure-principal', principal, subscriptions: grant?.subscriptions ?? [], registries: grant?.registries ?? [] };
  };
}
