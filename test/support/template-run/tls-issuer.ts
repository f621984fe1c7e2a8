/**
 * The Azure bearer tokens' issuer for the template run (auth=contracts): OpenID discovery and a JWKS
 * over https on 127.0.0.1, as the stack requires of jwtIssuer, with a self-signed certificate made at
 * start (the `selfsigned` package: no openssl on the machine needed). The certificate is written to a
 * temporary PEM file the children trust through NODE_EXTRA_CA_CERTS, the run's one trust root: the
 * bundles fetch the issuer with their ordinary, verifying TLS. Tokens are minted with the issuer's
 * RS256 key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { generate } from 'selfsigned';

export interface TlsIssuer {
  /** https://127.0.0.1:<port>: what the stack is synthesized with (-c jwtIssuer). */
  readonly issuer: string;
  /** The certificate (PEM), for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** Discovery and JWKS requests served, by path. */
  readonly served: string[];
  /** An RS256 token of this issuer for `audience`, with `claims` over iss/aud/iat/exp. */
  mint(audience: string, claims: JWTPayload, expiresIn?: string): Promise<string>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startTlsIssuer(): Promise<TlsIssuer> {
  const [{ publicKey, privateKey }, pems] = await Promise.all([
    generateKeyPair('RS256'),
    generate([{ name: 'commonName', value: HOST }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: HOST }, { type: 2, value: 'localhost' }] },
      ],
    }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'ulb-tls-issuer-'));
  const caFile = join(dir, 'issuer-ca.pem');
  writeFileSync(caFile, pems.cert);
  const jwk = { ...(await exportJWK(publicKey)), kid: 'template-run', alg: 'RS256', use: 'sig' };
  const served: string[] = [];
  let issuer = '';
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    served.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
    if (req.url === '/keys') return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  issuer = `https://${HOST}:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    caFile,
    served,
    mint: (audience, claims, expiresIn = '30m') =>
      new SignJWT({ iss: issuer, aud: audience, ...claims }).setProtectedHeader({ alg: 'RS256', kid: jwk.kid }).setIssuedAt().setExpirationTime(expiresIn).sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}
