import type { KoaMiddleware } from '../emulator-packages.js';
import { refuse } from './respond.js';
import { S3Refusal } from './s3-refusal.js';

export interface ObjectMetadataSource {
  getMetadata(bucket: string, key: string): Promise<{ etag: string }>;
}

const unquote = (etag: string) => etag.replace(/"/g, '').toLowerCase();

/**
 * CopyObject's `x-amz-copy-source-if-match`, which s3rver ignores: the copy happens only while the
 * source still has that ETag, else 412 PreconditionFailed (the broker copies only verified bytes).
 */
export function copySourceConditions(store: ObjectMetadataSource): KoaMiddleware {
  return async (ctx, next) => {
    const source = ctx.req.headers['x-amz-copy-source'];
    const ifMatch = ctx.req.headers['x-amz-copy-source-if-match'];
    if (ctx.method !== 'PUT' || typeof source !== 'string' || typeof ifMatch !== 'string') return next();
    const path = decodeURIComponent(source.split('?')[0]!).replace(/^\//, '');
    const slash = path.indexOf('/');
    let etag: string | undefined;
    try {
      etag = (await store.getMetadata(path.slice(0, slash), path.slice(slash + 1))).etag;
    } catch {
      return next(); // no such source: s3rver answers NoSuchKey
    }
    if (unquote(etag) !== unquote(ifMatch)) {
      return refuse(ctx, new S3Refusal(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'x-amz-copy-source-If-Match' }));
    }
    return next();
  };
}
