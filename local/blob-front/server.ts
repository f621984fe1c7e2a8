import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, endpointHost, whenListening } from '../servers.js';
import { oacOrigin, type OacOriginOptions } from './oac-origin.js';
import { isFrontResponse, loadFrontFunctions, type FrontEvent, type FrontHeaders, type FrontRequest, type FrontResponse } from './sandbox.js';

/**
 * The Blob front in the local mode: one more embedded server standing in for the CloudFront
 * distribution. Each request becomes a CloudFront Functions event for the same viewer-request function
 * CDK deploys (sandbox.ts); its answer is sent as is, or the request it returns goes to the embedded S3
 * signed as OAC signs (oac-origin.ts), and S3's answer passes the viewer-response function on the way
 * back. No Lambda and no broker code on this path, as in AWS.
 */

export interface BlobFrontOptions extends OacOriginOptions {
  readonly host: string;
  /** 0 = a free port. */
  readonly port: number;
  /** The KeyValueStore's `sas-signing-key`. */
  readonly signingKey: string;
  /** The KeyValueStore's `max-blob-bytes`. */
  readonly maxBlobBytes: number;
  /**
   * The account segment every path starts with. The Azure clients address an IP or `localhost`
   * endpoint path-style, account first (as they address Azurite), and a DNS name (CloudFront's
   * `*.cloudfront.net`) host-style, container first: locally the front takes the account segment off
   * before its functions see the path, so they see what CloudFront hands them.
   */
  readonly account?: string;
}

export interface BlobFront {
  /** e.g. http://127.0.0.1:PORT/local: the front's origin and its account segment, if any. */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** name -> {value, multiValue?}, as CloudFront hands headers, query parameters and cookies to functions. */
function entries(pairs: ReadonlyArray<readonly [string, string]>): FrontHeaders {
  const out: FrontHeaders = {};
  for (const [name, value] of pairs) {
    const seen = out[name];
    if (seen === undefined) out[name] = { value };
    else (seen.multiValue ??= [{ value: seen.value }]).push({ value });
  }
  return out;
}

function headerPairs(rawHeaders: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i]!.toLowerCase(), rawHeaders[i + 1]!]);
  return pairs;
}

/** CloudFront passes query names and values as they came in the URL, still percent-encoded. */
function queryPairs(search: string): Array<[string, string]> {
  return search
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    });
}

function viewerRequestEvent(req: IncomingMessage, requestId: string, target: string): FrontEvent {
  const q = target.indexOf('?');
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', requestId, distributionId: 'LOCAL', distributionDomainName: req.headers.host ?? 'localhost' },
    viewer: { ip: req.socket.remoteAddress ?? '127.0.0.1' },
    request: {
      method: req.method ?? 'GET',
      uri: q < 0 ? target : target.slice(0, q),
      querystring: entries(q < 0 ? [] : queryPairs(target.slice(q + 1))),
      headers: entries(headerPairs(req.rawHeaders)),
      cookies: {},
    },
  };
}

/** Headers S3 sent that belong to its connection, not to the response CloudFront relays. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

function responseHeaders(headers: IncomingHttpHeaders): FrontHeaders {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([name, v]);
  }
  return entries(pairs);
}

function writeHead(res: ServerResponse, response: FrontResponse): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, header] of Object.entries(response.headers)) {
    headers[name] = header.multiValue ? header.multiValue.map((v) => v.value) : header.value;
  }
  res.writeHead(response.statusCode, response.statusDescription || STATUS_CODES[response.statusCode] || '', headers);
}

/** A response the viewer-request function wrote; CloudFront does not run viewer-response on it. */
function sendGenerated(req: IncomingMessage, res: ServerResponse, response: FrontResponse): void {
  const body = response.body;
  const bytes = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.data, body.encoding === 'base64' ? 'base64' : 'utf8');
  response.headers['content-length'] = { value: String(bytes.length) };
  req.resume(); // a refused upload's body is read and dropped, so the client sees the answer
  writeHead(res, response);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** A path outside the account segment: Azure's answer for a URI naming no resource. */
function noSuchAccount(requestId: string): FrontResponse {
  const body = '<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidUri</Code><Message>The requested URI does not represent any resource on the server.</Message></Error>';
  const headers: FrontHeaders = { 'content-type': { value: 'application/xml' }, 'x-ms-error-code': { value: 'InvalidUri' }, 'x-ms-request-id': { value: requestId } };
  return { statusCode: 400, statusDescription: 'Bad Request', headers, cookies: {}, body };
}

/** What CloudFront answers when a function throws: 503, without the function's error. */
function functionFailed(res: ServerResponse, which: string, err: unknown): void {
  console.error(`[blob front] the ${which} function failed:`, err);
  if (res.headersSent) return void res.destroy();
  res.writeHead(503, { 'content-type': 'text/plain' }).end('The CloudFront function associated with the request failed.\n');
}

export async function startBlobFront(options: BlobFrontOptions): Promise<BlobFront> {
  const functions = loadFrontFunctions({ kvs: { 'sas-signing-key': options.signingKey, 'max-blob-bytes': String(options.maxBlobBytes) } });
  const origin = oacOrigin(options);

  const accountPrefix = options.account === undefined ? '' : `/${options.account}`;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomBytes(21).toString('base64url');
    const target = req.url ?? '/';
    if (!target.startsWith(`${accountPrefix}/`)) return sendGenerated(req, res, noSuchAccount(requestId));
    const event = viewerRequestEvent(req, requestId, target.slice(accountPrefix.length));
    let forwarded: FrontRequest | FrontResponse;
    try {
      forwarded = await functions.viewerRequest(event);
    } catch (err) {
      return functionFailed(res, 'viewer-request', err);
    }
    if (isFrontResponse(forwarded)) return sendGenerated(req, res, forwarded);

    let upstream: IncomingMessage;
    try {
      upstream = await origin.send(forwarded, req.method === 'GET' || req.method === 'HEAD' ? undefined : req);
    } catch (err) {
      console.error('[blob front] S3 could not be reached:', err);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('The origin could not be reached.\n');
      return;
    }
    let response: FrontResponse = { statusCode: upstream.statusCode ?? 502, statusDescription: upstream.statusMessage ?? '', headers: responseHeaders(upstream.headers), cookies: {} };
    // CloudFront runs no viewer-response function when the origin answered 400 or more.
    if (response.statusCode < 400) {
      try {
        response = await functions.viewerResponse({ ...event, context: { ...event.context, eventType: 'viewer-response' }, request: forwarded, response });
      } catch (err) {
        upstream.resume();
        return functionFailed(res, 'viewer-response', err);
      }
    }
    writeHead(res, response);
    upstream.pipe(res);
    upstream.once('error', () => res.destroy());
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error('[blob front] request failed:', err);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.listen(options.port, options.host);
  const port = await whenListening(server);
  return {
    url: `http://${endpointHost(options.host)}:${port}${accountPrefix}`,
    server,
    close: () => closeServer(server, (cb) => server.close(cb)),
  };
}
