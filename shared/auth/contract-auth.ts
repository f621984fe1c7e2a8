import { AuthenticationError } from '../errors.js';
import type { OperationAuth } from '../contracts/operation.js';
import { headerOf, openAuthenticator, type Authenticator } from './caller.js';

/** Each scheme an operation may name (operation.ts): Alibaba's ACS3, Azure's bearer token, or either. */
export type ContractAuth = { readonly [Scheme in Exclude<OperationAuth, 'public'>]: Authenticator };

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

/** The authenticator an operation's registry entry names; `public` operations establish no caller. */
export const authenticatorFor = (scheme: OperationAuth, auth: ContractAuth): Authenticator => (scheme === 'public' ? openAuthenticator : auth[scheme]);
