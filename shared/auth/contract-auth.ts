import { AuthenticationError } from '../errors.js';
import { headerOf, openAuthenticator, type Authenticator } from './caller.js';

/** How each surface authenticates: Alibaba's routes by ACS3, Azure's by bearer token, the broker's by either. */
export interface ContractAuth {
  readonly alibaba: Authenticator;
  readonly azure: Authenticator;
  readonly either: Authenticator;
}

/** AUTH=none (local default) and the deployed iam/jwt modes, where API Gateway admits callers. */
export const OPEN_AUTH: ContractAuth = { alibaba: openAuthenticator, azure: openAuthenticator, either: openAuthenticator };

/** The broker's own routes accept whichever scheme the caller's contract uses. */
export function eitherScheme(alibaba: Authenticator, azure: Authenticator): Authenticator {
  return async (event) => {
    const header = headerOf(event, 'authorization') ?? '';
    if (header.startsWith('ACS3-')) return alibaba(event);
    if (/^Bearer\s/i.test(header)) return azure(event);
    throw new AuthenticationError(header ? 'malformed' : 'missing', 'Authenticate with an ACS3-HMAC-SHA256 signature or a bearer token.');
  };
}

export function contractAuth(alibaba: Authenticator, azure: Authenticator): ContractAuth {
  return { alibaba, azure, either: eitherScheme(alibaba, azure) };
}
