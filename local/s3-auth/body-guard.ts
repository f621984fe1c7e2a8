import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KoaMiddleware } from '../emulator-packages.js';
import { replaceRequestBody } from '../replace-request-body.js';
import { refuse } from './respond.js';
import { S3Refusal } from './s3-refusal.js';

const MD5_BASE64 = /^[A-Za-z0-9+/]{22}==$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

interface Received {
  readonly file: string;
  readonly bytes: number;
  readonly md5: Buffer;
  readonly sha256: string;
}

/** S3's single-PUT limit; a larger body is refused before it fills the disk. */
export const MAX_BODY_BYTES = 5 * 1024 ** 3;

class ClientBodyError extends Error {}

/** Copies the body to `file`, counting and hashing it on the way. Request-side failures are ClientBodyErrors. */
async function spool(body: NodeJS.ReadableStream, file: string, maxBytes: number): Promise<Received> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) return callback(new ClientBodyError('too large'));
      md5.update(chunk);
      sha256.update(chunk);
      callback(null, chunk);
    },
  });
  const sink = createWriteStream(file);
  let failedFirst: 'request' | 'disk' | undefined;
  body.once('error', () => (failedFirst ??= 'request'));
  sink.once('error', (error) => (failedFirst ??= error instanceof ClientBodyError ? 'request' : 'disk'));
  try {
    await pipeline(body, measure, sink);
  } catch (error) {
    // The disk failing is the emulator's fault (500); anything else came from the request. Which failed
    // first decides: pipeline also destroys the file stream with the request's error (Node 24 then
    // emits it there too).
    if (failedFirst === 'disk' && !(error instanceof ClientBodyError)) throw error;
    throw new ClientBodyError((error as Error).message);
  }
  return { file, bytes, md5: md5.digest(), sha256: sha256.digest('hex') };
}

/** The checks S3 makes on a body before it stores anything. */
function checkBody(headers: NodeJS.Dict<string | string[]>, received: Received): void {
  const declaredLength = headers['content-length'];
  if (typeof declaredLength === 'string' && Number(declaredLength) !== received.bytes) {
    throw new S3Refusal(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.', {
      NumberBytesExpected: declaredLength,
      NumberBytesProvided: String(received.bytes),
    });
  }
  const contentMd5 = headers['content-md5'];
  if (typeof contentMd5 === 'string') {
    if (!MD5_BASE64.test(contentMd5)) throw new S3Refusal(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': contentMd5 });
    const calculated = received.md5.toString('base64');
    if (calculated !== contentMd5) {
      throw new S3Refusal(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.', {
        ExpectedDigest: contentMd5,
        CalculatedDigest: calculated,
      });
    }
  }
  const contentSha256 = headers['x-amz-content-sha256'];
  if (typeof contentSha256 === 'string' && SHA256_HEX.test(contentSha256) && contentSha256 !== received.sha256) {
    throw new S3Refusal(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
      ClientComputedContentSHA256: contentSha256,
      S3ComputedContentSHA256: received.sha256,
    });
  }
}

/**
 * Koa middleware after the aws-chunked decoder: a PUT or POST body is received whole into a spool file
 * and checked (length, Content-MD5, x-amz-content-sha256) before s3rver sees any of it. s3rver writes
 * straight over the stored object as bytes arrive, so without this a short or corrupt body would
 * replace a good object; S3 stores nothing unless the whole body arrived and matched.
 */
export function bodyGuard(spoolDirectory: string, maxBytes = MAX_BODY_BYTES): KoaMiddleware {
  return async (ctx, next) => {
    if (ctx.method !== 'PUT' && ctx.method !== 'POST') return next();
    const headers = ctx.req.headers;
    if (ctx.method === 'PUT' && headers['content-length'] === undefined) {
      return refuse(ctx, new S3Refusal(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'));
    }
    const file = join(spoolDirectory, randomUUID());
    try {
      let received: Received;
      try {
        received = await spool(ctx.req, file, maxBytes);
      } catch (error) {
        if (!(error instanceof ClientBodyError)) throw error;
        if (error.message === 'too large') return refuse(ctx, new S3Refusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.'));
        // The client went away (or sent a broken aws-chunked body) before the declared end.
        return refuse(ctx, new S3Refusal(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'));
      }
      checkBody(headers, received);
      const body = createReadStream(received.file);
      replaceRequestBody(ctx, body, headers);
      try {
        await next();
      } finally {
        body.destroy();
      }
    } catch (error) {
      if (error instanceof S3Refusal) return refuse(ctx, error);
      throw error;
    } finally {
      await rm(file, { force: true });
    }
  };
}
