import type { HttpEvent } from '../http/types.js';

/**
 * Who is calling, as the contract's own authentication established it. `open` is the local mode's
 * AUTH=none (and the deployed iam/jwt modes, where API Gateway has already admitted the caller): no
 * tenant restriction.
 */
export type Caller =
  | { readonly kind: 'open' }
  | { readonly kind: 'alibaba-key'; readonly accessKeyId: string; readonly workspaces: readonly string[] }
  | { readonly kind: 'azure-principal'; readonly principal: string; readonly subscriptions: readonly string[]; readonly registries: readonly string[] };

export type Authenticator = (event: HttpEvent) => Promise<Caller>;

export const OPEN: Caller = { kind: 'open' };
export const openAuthenticator: Authenticator = async () => OPEN;
