import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { KoaMiddleware } from './emulator-packages.js';
import { replaceRequestBody } from './replace-request-body.js';

/**
 * Decodes `Content-Encoding: aws-chunked` bodies (`x-amz-content-sha256: STREAMING-...`): the framing
 * the AWS SDK v3 uses for streamed uploads with trailing checksums. s3rver does not understand it and
 * would store the chunk headers and trailers as part of the object.
 */
export class AwsChunkedDecoder extends Transform {
  private buffered: Buffer = Buffer.alloc(0);
  private state: 'size' | 'data' | 'crlf' | 'trailer' | 'done' = 'size';
  private remaining = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    try {
      this.decode();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.state === 'done' || this.state === 'trailer' ? null : new Error('truncated aws-chunked body'));
  }

  private decode(): void {
    for (;;) {
      if (this.state === 'done') {
        this.buffered = Buffer.alloc(0);
        return;
      }
      if (this.state === 'data') {
        if (this.buffered.length === 0) return;
        const n = Math.min(this.remaining, this.buffered.length);
        this.push(this.buffered.subarray(0, n));
        this.buffered = this.buffered.subarray(n);
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'crlf';
        continue;
      }
      if (this.state === 'crlf') {
        if (this.buffered.length < 2) return;
        if (this.buffered[0] !== 0x0d || this.buffered[1] !== 0x0a) throw new Error('malformed aws-chunked body');
        this.buffered = this.buffered.subarray(2);
        this.state = 'size';
        continue;
      }
      const eol = this.buffered.indexOf('\r\n');
      if (eol < 0) {
        if (this.buffered.length > 8192) throw new Error('malformed aws-chunked body');
        return;
      }
      const line = this.buffered.subarray(0, eol).toString('latin1');
      this.buffered = this.buffered.subarray(eol + 2);
      if (this.state === 'trailer') {
        // Trailing checksum headers are dropped; an empty line ends the body.
        if (line === '') this.state = 'done';
        continue;
      }
      const sizeField = line.split(';', 1)[0]!.trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeField)) throw new Error('malformed aws-chunked body');
      this.remaining = parseInt(sizeField, 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
    }
  }
}

function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const sha = headers['x-amz-content-sha256'];
  const encoding = headers['content-encoding'];
  return (
    (typeof sha === 'string' && sha.startsWith('STREAMING-')) ||
    (typeof encoding === 'string' && encoding.split(',').some((e) => e.trim().toLowerCase() === 'aws-chunked'))
  );
}

/** Koa middleware (placed first) that swaps an aws-chunked request for its decoded body. */
export const decodeAwsChunked: KoaMiddleware = (ctx, next) => {
  const original = ctx.req;
  if (!isAwsChunked(original.headers)) return next();
  const headers: IncomingHttpHeaders = { ...original.headers };
  const decodedLength = headers['x-amz-decoded-content-length'];
  if (typeof decodedLength === 'string') headers['content-length'] = decodedLength;
  else delete headers['content-length'];
  delete headers['transfer-encoding'];
  const encodings = (headers['content-encoding'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && e.toLowerCase() !== 'aws-chunked');
  if (encodings.length) headers['content-encoding'] = encodings.join(',');
  else delete headers['content-encoding'];

  const decoded = new AwsChunkedDecoder();
  original.on('error', (err) => decoded.destroy(err));
  original.on('aborted', () => decoded.destroy(new Error('request aborted')));
  original.pipe(decoded);
  replaceRequestBody(ctx, decoded, headers);
  return next();
};
