import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

/**
 * A minimal OpenID issuer for tests: discovery and a JWKS on 127.0.0.1, tokens minted with its RS256
 * key. It counts JWKS fetches, so a test can see a refresh.
 */
export interface TestIssuer {
  readonly issuer: string;
  readonly jwksFetches: () => number;
  /** Makes the JWKS endpoint answer 503 from now on (an identity provider outage). */
  failJwks(): void;
  /** A token signed with the published key (or `key`), with `claims` over sensible defaults. */
  /** `expiresIn: null` mints a token without exp. */
  mint(claims: JWTPayload, options?: { key?: CryptoKey; kid?: string; expiresIn?: string | number | null; notBefore?: string | number }): Promise<string>;
  /** A key the issuer does not publish. */
  foreignKey(): Promise<CryptoKey>;
  close(): Promise<void>;
}

export async function startTestIssuer(audience: string): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let fetches = 0;
  let failing = false;
  let issuer = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') {
      fetches++;
      if (failing) {
        res.statusCode = 503;
        return res.end('{}');
      }
      return res.end(JSON.stringify({ keys: [jwk] }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksFetches: () => fetches,
    failJwks: () => void (failing = true),
    async mint(claims, options = {}) {
      // Claims given override the defaults (a wrong iss or aud is a test case).
      let jwt = new SignJWT({ iss: issuer, aud: audience, ...claims }).setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' }).setIssuedAt();
      if (options.expiresIn !== null) jwt = jwt.setExpirationTime(options.expiresIn ?? '10m');
      if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
      return jwt.sign(options.key ?? privateKey);
    },
    async foreignKey() {
      return (await generateKeyPair('RS256')).privateKey;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
