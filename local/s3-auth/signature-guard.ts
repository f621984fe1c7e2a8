import type { KoaMiddleware } from '../emulator-packages.js';
import { refuse } from './respond.js';
import { S3Refusal } from './s3-refusal.js';
import { headerValue, parseQuery, UNSIGNED_PAYLOAD, verifySigV4, type ParsedAuth, type ReceivedRequest } from './sigv4.js';

export interface SignatureGuardOptions {
  readonly region: string;
  readonly credentials: ReadonlyArray<{ readonly accessKeyId: string; readonly secretAccessKey: string }>;
  readonly now?: () => number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * What S3 puts last in the canonical request: a presigned URL's X-Amz-Content-Sha256 (UNSIGNED-PAYLOAD
 * when absent); a header-signed request's x-amz-content-sha256, which S3 requires. A hex hash is
 * checked against the body later (body-guard.ts).
 */
export function s3PayloadHash(request: ReceivedRequest, auth: ParsedAuth): string {
  if (auth.mode === 'query') {
    const query = request.target.includes('?') ? request.target.slice(request.target.indexOf('?') + 1) : '';
    return parseQuery(query).find((p) => p.name === 'X-Amz-Content-Sha256')?.value ?? UNSIGNED_PAYLOAD;
  }
  const declared = headerValue(request.headers, 'x-amz-content-sha256');
  if (declared === undefined) throw new S3Refusal(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (declared !== UNSIGNED_PAYLOAD && !declared.startsWith('STREAMING-') && !SHA256_HEX.test(declared)) {
    throw new S3Refusal(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.');
  }
  return declared;
}

function pairs(rawHeaders: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return out;
}

/**
 * Koa middleware, first in s3rver's chain: every request must carry a valid SigV4 signature (query or
 * header form) from the emulator's credentials, as S3 with Block Public Access demands. CORS preflights
 * carry no credentials in S3 either.
 */
export function signatureGuard(options: SignatureGuardOptions): KoaMiddleware {
  const secrets = new Map(options.credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  const settings = { region: options.region, service: 's3', secretFor: (id: string) => secrets.get(id), requireSignedAmzHeaders: true };
  const now = options.now ?? Date.now;
  return async (ctx, next) => {
    if (ctx.method === 'OPTIONS') return next();
    const request: ReceivedRequest = { method: ctx.req.method ?? 'GET', target: ctx.req.url ?? '/', headers: pairs(ctx.req.rawHeaders) };
    try {
      verifySigV4(request, settings, { nowMs: now(), payloadHash: (auth) => s3PayloadHash(request, auth) });
    } catch (error) {
      if (error instanceof S3Refusal) return refuse(ctx, error);
      throw error;
    }
    return next();
  };
}
