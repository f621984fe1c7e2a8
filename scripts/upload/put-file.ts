import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * PUTs a file to a presigned URL with exactly the method and headers the lease returned, streamed from
 * disk with its Content-Length (S3 takes no chunked PUT to a presigned URL), reporting bytes sent.
 * node:http rather than fetch: a streamed fetch body has no progress and no fixed length.
 */
export async function putFile(
  file: { path: string; size: number },
  lease: { method: string; url: string; headers: Record<string, string> },
  onProgress: (bytes: number) => void,
): Promise<void> {
  const url = new URL(lease.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      onProgress(sent);
      done(null, chunk);
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = send(url, { method: lease.method, headers: { ...lease.headers, 'content-length': String(file.size) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    pipeline(createReadStream(file.path), counter, req).catch(reject);
  });
  const { status, body } = await response;
  if (status < 200 || status >= 300) {
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
    const message = /<Message>([^<]+)<\/Message>/.exec(body)?.[1];
    throw new Error(`the storage refused the upload: ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`);
  }
}
