import { AuthenticationError } from '../errors.js';
import { header } from '../http/request.js';
import { openAuthenticator, type Authenticator } from './caller.js';

/**
 * How an operation's callers prove who they are, under AUTH=contracts: Alibaba's ACS3 signature,
 * Azure's bearer token, either of the two (the broker's own routes), or `public` (no caller at all,
 * said explicitly). Required on every operation, so a new one cannot be open by omission; the surface
 * router applies it (shared/api/surface.ts), the stack and the OpenAPI document read it.
 */
export const OPERATION_AUTH = ['alibaba', 'azure', 'either', 'public'] as const;
export type OperationAuth = (typeof OPERATION_AUTH)[number];

/** Each scheme an operation may name (api/operation.ts): Alibaba's ACS3, Azure's bearer token, or either. */
export type ContractAuth = { readonly [Scheme in Exclude<OperationAuth, 'public'>]: Authenticator };

/** AUTH=none (local default) and the deployed iam/jwt modes, where API Gateway admits callers. */
export const OPEN_AUTH: ContractAuth = { alibaba: openAuthenticator, azure: openAuthenticator, either: openAuthenticator };

/** The broker's own routes accept whichever scheme the caller's contract uses. */
export function eitherScheme(alibaba: Authenticator, azure: Authenticator): Authenticator {
  return async (event) => {
    const authorization = header(event, 'authorization') ?? '';
    if (authorization.startsWith('ACS3-')) return alibaba(event);
    if (/^Bearer\s/i.test(authorization)) return azure(event);
    throw new AuthenticationError(authorization ? 'malformed' : 'missing', 'Authenticate with an ACS3-HMAC-SHA256 signature or a bearer token.');
  };
}

export function contractAuth(alibaba: Authenticator, azure: Authenticator): ContractAuth {
  return { alibaba, azure, either: eitherScheme(alibaba, azure) };
}

/** The authenticator an operation's registry entry names; `public` operations establish no caller. */
export const authenticatorFor = (scheme: OperationAuth, auth: ContractAuth): Authenticator => (scheme === 'public' ? openAuthenticator : auth[scheme]);
