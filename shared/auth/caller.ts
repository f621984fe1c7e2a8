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

/** Header lookup on an event before or after @middy/http-header-normalizer. */
export function headerOf(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

export const bodyBytes = (event: HttpEvent): Buffer =>
  event.body === undefined || event.body === null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
