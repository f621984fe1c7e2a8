import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { canonicalPath, UNSIGNED_PAYLOAD } from '../s3-auth/sigv4.js';
import type { FrontRequest } from './sandbox.js';

/**
 * The front's S3 origin, reached as CloudFront's Origin Access Control reaches it: path-style
 * `/{bucket}{uri}`, every request SigV4-signed for service s3 with `x-amz-content-sha256:
 * UNSIGNED-PAYLOAD` (the body streams through unhashed), so the embedded S3 keeps checking signatures.
 */

export interface OacOriginOptions {
  /** e.g. http://127.0.0.1:PORT */
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Never forwarded: hop-by-hop headers, the viewer's host and credentials, and x-amz-* the signer owns. */
const DROPPED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'proxy-authorization', 'authorization']);

function outgoingHeaders(request: FrontRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(request.headers)) {
    if (DROPPED.has(name) || name.startsWith('x-amz-')) continue;
    headers[name] = header.multiValue ? header.multiValue.map((v) => v.value).join(', ') : header.value;
  }
  return headers;
}

/** The query as the function left it (CloudFront values stay percent-encoded), decoded for the signer. */
function decodedQuery(request: FrontRequest): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  for (const [name, entry] of Object.entries(request.querystring)) {
    const values = entry.multiValue ? entry.multiValue.map((v) => decode(v.value)) : [decode(entry.value)];
    query[decode(name)] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

function queryString(query: Record<string, string | string[]>): string {
  const enc = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(query)
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${enc(name)}=${enc(v)}`))
    .join('&');
}

export interface OacOrigin {
  /** Sends `request` (as the viewer-request function left it) with `body` to S3; resolves with S3's response. */
  send(request: FrontRequest, body: Readable | undefined): Promise<IncomingMessage>;
}

export function oacOrigin(options: OacOriginOptions): OacOrigin {
  const endpoint = new URL(options.s3Endpoint);
  const signer = new SignatureV4({ service: 's3', region: options.region, credentials: options.credentials, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  return {
    async send(request, body) {
      // S3 signs and reads the path with each segment decoded and encoded once; sent that way, the
      // path signed is the path received, whatever encoding the viewer chose.
      const path = canonicalPath(`/${options.bucket}${request.uri}`);
      const query = decodedQuery(request);
      const signed = await signer.sign(
        new HttpRequest({
          method: request.method,
          protocol: endpoint.protocol,
          hostname: endpoint.hostname,
          port: Number(endpoint.port),
          path,
          query,
          headers: { ...outgoingHeaders(request), host: endpoint.host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD },
        }),
      );
      const search = queryString(query);
      return new Promise<IncomingMessage>((resolve, reject) => {
        const upstream = httpRequest({
          method: request.method,
          host: endpoint.hostname,
          port: endpoint.port,
          path: search === '' ? path : `${path}?${search}`,
          headers: signed.headers,
        });
        upstream.once('response', resolve);
        upstream.once('error', reject);
        if (body) {
          body.once('error', (err) => upstream.destroy(err));
          body.pipe(upstream);
        } else {
          upstream.end();
        }
      });
    },
  };
}
