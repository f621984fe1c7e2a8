import { createHash, randomUUID } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACS3, acs3Signature, canonicalAcs3Request } from '../../shared/auth/acs3.js';

/** How the CLI authenticates to the broker: as the deployed stack expects (README, Authentication). */
export type AuthScheme =
  | { readonly kind: 'none' }
  | { readonly kind: 'iam'; readonly region: string; readonly profile?: string }
  | { readonly kind: 'alibaba'; readonly accessKeyId: string; readonly accessKeySecret: string }
  | { readonly kind: 'azure'; readonly token: string };

export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** The region of an API Gateway host, `<api-id>.execute-api.<region>.amazonaws.com` (undefined for any other host). */
export const regionOfApiHost = (host: string): string | undefined => /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(host)?.[1];

/** A URL's query as SigV4 signs it: a repeated name keeps all its values. */
function signedQuery(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/** The request with what its scheme adds: SigV4 headers, an ACS3 signature, or a bearer token. */
export async function authenticate(request: OutgoingRequest, scheme: AuthScheme): Promise<Record<string, string>> {
  const { url } = request;
  const body = request.body ?? '';
  switch (scheme.kind) {
    case 'none':
      return request.headers;
    case 'azure':
      return { ...request.headers, authorization: `Bearer ${scheme.token}` };
    case 'iam': {
      const signer = new SignatureV4({
        service: 'execute-api',
        region: scheme.region,
        credentials: defaultProvider(scheme.profile ? { profile: scheme.profile } : {}),
        sha256: Sha256,
      });
      const signed = await signer.sign(
        new HttpRequest({
          method: request.method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query: signedQuery(url),
          headers: { ...request.headers, host: url.host },
          ...(request.body !== undefined ? { body } : {}),
        }),
      );
      const { host: _host, ...headers } = signed.headers;
      return headers;
    }
    case 'alibaba': {
      // ACS3-HMAC-SHA256, as the Alibaba Cloud SDKs sign (the same canonical form the broker verifies).
      const payloadHash = createHash('sha256').update(body).digest('hex');
      const headers: Record<string, string> = {
        ...Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
        host: url.host,
        'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        'x-acs-signature-nonce': randomUUID(),
        'x-acs-content-sha256': payloadHash,
      };
      const signedHeaders = Object.keys(headers)
        .filter((name) => name === 'host' || name === 'content-type' || name.startsWith('x-acs-'))
        .sort();
      const canonical = canonicalAcs3Request(
        { method: request.method, rawPath: url.pathname, rawQuery: url.search.slice(1), headers, body: Buffer.from(body) },
        signedHeaders,
        payloadHash,
      );
      const signature = acs3Signature(canonical, scheme.accessKeySecret);
      const { host: _host, ...rest } = headers;
      return { ...rest, authorization: `${ACS3} Credential=${scheme.accessKeyId},SignedHeaders=${signedHeaders.join(';')},Signature=${signature}` };
    }
  }
}
