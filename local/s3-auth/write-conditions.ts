import type { KoaMiddleware } from '../emulator-packages.js';
import type { ObjectMetadataSource } from './copy-conditions.js';
import { refuse } from './respond.js';
import { S3Refusal } from './s3-refusal.js';

/** S3 compares entity tags without their quotes. */
const unquote = (etag: string) => etag.replace(/"/g, '');

/** `/{bucket}/{key}` of a path-style request target, the key decoded as s3rver's router decodes it. */
function objectOf(target: string): { bucket: string; key: string } | undefined {
  const match = /^\/([^/?]+)\/([^?]+)/.exec(target);
  if (!match) return undefined;
  try {
    return { bucket: decodeURIComponent(match[1]!), key: decodeURIComponent(match[2]!) };
  } catch {
    return undefined; // not percent-encoding: s3rver's router refuses it
  }
}

/**
 * PutObject's conditional writes, which s3rver ignores: `If-None-Match: *` stores only when no object
 * has the key (azure-ai-ml sends it on every Put Blob, through the Blob front), `If-Match: <etag>` only
 * over that very object; otherwise 412 PreconditionFailed and nothing stored. Like S3, any other
 * If-None-Match value is refused as not implemented. Not atomic: two racing writes may both pass here,
 * where S3 lets one win (a window the single-process emulator makes narrow).
 */
export function writeConditions(store: ObjectMetadataSource): KoaMiddleware {
  return async (ctx, next) => {
    const ifNoneMatch = ctx.req.headers['if-none-match'];
    const ifMatch = ctx.req.headers['if-match'];
    if (ctx.method !== 'PUT' || ctx.req.headers['x-amz-copy-source'] !== undefined || ctx.query.partNumber !== undefined) return next();
    if (typeof ifNoneMatch !== 'string' && typeof ifMatch !== 'string') return next();
    const object = objectOf(String(ctx.req.url));
    if (!object) return next();
    if (typeof ifNoneMatch === 'string' && ifNoneMatch !== '*') {
      return refuse(ctx, new S3Refusal(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented', { Header: 'If-None-Match' }));
    }
    // A failed lookup means no such object.
    const etag = await store.getMetadata(object.bucket, object.key).then((meta) => meta.etag, () => undefined);
    if (typeof ifNoneMatch === 'string' && etag !== undefined) {
      return refuse(ctx, new S3Refusal(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' }));
    }
    if (typeof ifMatch === 'string') {
      if (etag === undefined) return refuse(ctx, new S3Refusal(404, 'NoSuchKey', 'The specified key does not exist.', { Key: object.key }));
      if (unquote(etag) !== unquote(ifMatch)) {
        return refuse(ctx, new S3Refusal(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' }));
      }
    }
    return next();
  };
}
