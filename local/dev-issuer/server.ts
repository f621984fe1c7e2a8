import { createServer, type Server } from 'node:http';
import { closeServer, endpointHost, whenListening } from '../servers.js';
import { loadOrCreateDevKey, writeDevIssuerFile } from './key-file.js';

/**
 * JWT_ISSUER=dev: an OpenID issuer for the local mode only, so the Azure contract's bearer tokens can
 * be tried without Entra ID. It serves discovery and the JWKS (the public key only) and nothing else:
 * tokens are minted from the key file by `npm run dev-token`, never over HTTP. It is in local/, which
 * nothing deployed may import (.dependency-cruiser.cjs), so no stack can carry it.
 */
export interface DevIssuerOptions {
  readonly host: string;
  /** 0 = a free port; npm start uses DEV_ISSUER_PORT (PORT+3), stable so tokens outlive a restart. */
  readonly port: number;
  /** `$DATA_DIR/dev-issuer.json`. */
  readonly file: string;
  readonly audience: string;
}

export interface DevIssuer {
  /** http://127.0.0.1:PORT, the `iss` of its tokens. */
  readonly issuer: string;
  readonly audience: string;
  close(): Promise<void>;
}

/** The default audience of development tokens: ARM's, which Azure ML clients ask Entra ID for. */
export const DEV_AUDIENCE = 'https://management.azure.com/';

export async function startDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const { key, file } = await loadOrCreateDevKey(options.file);
  let issuer = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      return res.end('{"error":"method not allowed"}');
    }
    if (path === '/.well-known/openid-configuration') {
      return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }));
    }
    if (path === '/jwks') return res.end(JSON.stringify({ keys: [key.publicJwk] }));
    res.statusCode = 404;
    res.end('{"error":"not found"}');
  });
  server.listen(options.port, options.host);
  const port = await whenListening(server);
  issuer = `http://${endpointHost(options.host)}:${port}`;
  try {
    // The issuer URL and audience beside the key: what dev-token mints for, without being told.
    await writeDevIssuerFile(options.file, { ...file, issuer, audience: options.audience });
  } catch (error) {
    await closeServer(server, (cb) => server.close(cb));
    throw error;
  }
  return { issuer, audience: options.audience, close: () => closeServer(server, (cb) => server.close(cb)) };
}
