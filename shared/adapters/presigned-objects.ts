import { DependencyError } from '../errors.js';
import type { ListedObject, UploadPresigner, UploadedObjects } from '../lease/ports.js';
import { parseListPage } from './list-page.js';
import { MAX_ATTEMPTS, REQUEST_HANDLER, type RequestTimeouts } from './clients.js';

/** The part of `fetch` this adapter uses; tests pass a recording one. */
export type SendRequest = (
  url: string,
  init: { method: string; signal: AbortSignal },
) => Promise<{ readonly status: number; readonly headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface PresignedObjectsOptions {
  readonly now: () => number;
  readonly send?: SendRequest;
  readonly timeouts?: RequestTimeouts;
}

/** A presigned call is sent at once: a minute is ample, and a leaked URL is of no use after it. */
const CALL_URL_SECONDS = 60;

const isRetryableStatus = (status: number) => status >= 500 || status === 429;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * HEAD and DELETE of one object, and the listing of a prefix, as presigned requests sent with `fetch`, for the API Lambdas. Why not
 * the S3 client: it would add about 200 KB to each API bundle and to its cold start (budget 350 KB,
 * `npm run bench`) for two calls whose signing the presigner already does as the SDK would
 * (presign.ts). Behaviour follows the SDK clients (clients.ts, object-store.ts): the same timeouts and
 * attempts, 404 is "not there", throttling, 5xx and no answer are retried and then a retryable
 * DependencyError (503), anything else (403: a missing grant) a non-retryable one.
 */
export function createPresignedObjects(presigner: UploadPresigner, options: PresignedObjectsOptions): UploadedObjects {
  const send = options.send ?? fetch;
  const timeouts = options.timeouts ?? REQUEST_HANDLER;

  async function attempt(url: string, method: 'HEAD' | 'DELETE' | 'GET') {
    const res = await send(url, { method, signal: AbortSignal.timeout(timeouts.connectionTimeout + timeouts.requestTimeout) });
    // The body (a listing, an S3 error document, or nothing) is read so the connection can be reused.
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  async function call(method: 'HEAD' | 'DELETE' | 'GET', sign: () => Promise<string>, expected: readonly number[]) {
    let failure: unknown;
    for (let n = 1; n <= MAX_ATTEMPTS; n++) {
      if (n > 1) await pause(25 * 2 ** n);
      // Signing fails only for want of credentials: not something another attempt mends.
      const url = await sign();
      try {
        const res = await attempt(url, method);
        if (expected.includes(res.status)) return res;
        failure = new Error(`S3 answered ${res.status} to a presigned ${method}`);
        if (!isRetryableStatus(res.status)) throw new DependencyError('s3', false, { cause: failure });
      } catch (error) {
        if (error instanceof DependencyError) throw error;
        // No answer (refused, reset, timed out): worth another attempt.
        failure = error;
      }
    }
    throw new DependencyError('s3', true, { cause: failure });
  }

  return {
    async head(key) {
      const res = await call('HEAD', () => presigner.presignObjectCall('HEAD', key, CALL_URL_SECONDS, options.now()), [200, 404]);
      if (res.status === 404) return undefined;
      const header = (name: string) => res.headers.get(name) ?? undefined;
      const size = Number(header('content-length') ?? Number.NaN);
      // Without its size an object cannot be judged: never guess (a wrong size would reject it).
      if (!Number.isSafeInteger(size) || size < 0) throw new DependencyError('s3', false, { cause: new Error('S3 answered a HEAD without a Content-Length') });
      const lastModified = Date.parse(header('last-modified') ?? '');
      const contentType = header('content-type');
      return {
        size,
        eTag: header('etag') ?? '',
        ...(contentType !== undefined ? { contentType } : {}),
        ...(Number.isFinite(lastModified) ? { lastModified } : {}),
      };
    },
    async delete(key) {
      // S3 answers 204 whether or not the key existed; an emulator may say 200 or 404.
      await call('DELETE', () => presigner.presignObjectCall('DELETE', key, CALL_URL_SECONDS, options.now()), [200, 204, 404]);
    },
    async list(prefix) {
      const listed: ListedObject[] = [];
      let token: string | undefined;
      do {
        const page = parseListPage((await call('GET', () => presigner.presignList(prefix, token, CALL_URL_SECONDS, options.now()), [200])).body);
        listed.push(...page.objects);
        token = page.nextToken;
      } while (token !== undefined);
      return listed;
    },
  };
}
