import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { KoaContext } from './emulator-packages.js';

/**
 * Hands the rest of the s3rver pipeline another stream as the request body, with adjusted headers.
 * Koa and s3rver read the request's fields off ctx.req, so the stream is dressed as the request.
 */
export function replaceRequestBody(ctx: KoaContext, body: Readable, headers: IncomingHttpHeaders): void {
  const original = ctx.req;
  const request = Object.assign(body, {
    headers,
    rawHeaders: original.rawHeaders,
    url: original.url,
    method: original.method,
    httpVersion: original.httpVersion,
    httpVersionMajor: original.httpVersionMajor,
    httpVersionMinor: original.httpVersionMinor,
    socket: original.socket,
    connection: original.socket,
  }) as unknown as IncomingMessage;
  ctx.req = request;
  ctx.request.req = request;
  ctx.response.req = request;
}
