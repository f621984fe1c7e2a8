import { SignJWT } from 'jose';
import { ConfigError } from '../../shared/config.js';
import { keyOf, readDevIssuerFile } from './key-file.js';

export interface DevTokenRequest {
  /** `$DATA_DIR/dev-issuer.json`. */
  readonly file: string;
  /** The token's `oid` and `sub`: the principal `npm run access-keys -- grant --principal` names. */
  readonly principal: string;
  /** Default: the audience the broker started the issuer with. */
  readonly audience?: string;
  readonly lifetimeSeconds: number;
  /** Seconds since the epoch. */
  readonly now: number;
}

/** Longest lifetime dev-token mints: a day, like no real issuer's access tokens but enough for a session. */
export const MAX_DEV_TOKEN_SECONDS = 86_400;

/** An RS256 access token from the development issuer, as Entra ID shapes the claims ARM reads. */
export async function mintDevToken(request: DevTokenRequest): Promise<string> {
  // The arguments first: a wrong one is reported as such, whether or not a broker has started.
  if (!Number.isInteger(request.lifetimeSeconds) || request.lifetimeSeconds < 1 || request.lifetimeSeconds > MAX_DEV_TOKEN_SECONDS) {
    throw new ConfigError(`--lifetime must be 1 to ${MAX_DEV_TOKEN_SECONDS} seconds, got ${request.lifetimeSeconds}`);
  }
  if (request.principal.trim() === '') throw new ConfigError('--principal must not be empty');
  const file = await readDevIssuerFile(request.file);
  if (!file?.issuer) {
    throw new ConfigError(`no development issuer in ${request.file}: start the broker with AUTH=contracts JWT_ISSUER=dev first (same DATA_DIR)`);
  }
  const key = await keyOf(file, request.file);
  return new SignJWT({ oid: request.principal, sub: request.principal })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(file.issuer)
    .setAudience(request.audience ?? file.audience ?? '')
    .setIssuedAt(request.now)
    .setNotBefore(request.now)
    .setExpirationTime(request.now + request.lifetimeSeconds)
    .sign(key.privateKey);
}
