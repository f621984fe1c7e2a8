import type { KoaMiddleware } from './emulator-packages.js';
import { responseDone } from './servers.js';

/**
 * One request at a time per object key in the embedded S3. S3 makes each write of a key atomic and a
 * read see one whole version; s3rver's store writes an object's content, checksum and metadata as
 * separate files, and a copy reads its source's files one after the other. So two requests on one key
 * at once (the settler's move of a consumed file and the sweep's, one deleting the source while the
 * other copies it; found by the soak) could leave content without metadata, which s3rver then answers
 * 500 for. A copy holds its source key too. Requests to other keys, and bucket-level ones (listings,
 * batch deletes), are not held.
 */
export function oneRequestPerKey(): KoaMiddleware {
  const queues = new Map<string, Promise<void>>();
  /** Waits for the key's earlier requests; resolves with the release of this one's turn. */
  async function turn(key: string): Promise<() => void> {
    const before = queues.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const queued = before.then(() => mine);
    queues.set(key, queued);
    await before;
    return () => {
      release();
      if (queues.get(key) === queued) queues.delete(key);
    };
  }
  return async (ctx, next) => {
    const target = objectKeyOf(String(ctx.req.url));
    if (target === undefined) return next();
    const source = copySourceOf(ctx.req.headers['x-amz-copy-source']);
    // Always in the same order, so a copy A→B and a copy B→A cannot wait for each other.
    const keys = [...new Set([target, ...(source ? [source] : [])])].sort();
    const releases: (() => void)[] = [];
    for (const key of keys) releases.push(await turn(key));
    try {
      await next();
    } finally {
      // Held until the response is sent: a read streams its content after the middleware returns.
      void responseDone(ctx.res).then(() => releases.forEach((release) => release()));
    }
  };
}

/** `bucket/key` of a path-style object request (the raw target: its encoding names the key exactly). */
function objectKeyOf(target: string): string | undefined {
  const match = /^\/([^/?]+)\/([^?]+)/.exec(target);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** `bucket/key` of an x-amz-copy-source header (`bucket/key` or `/bucket/key`, a version id after `?`). */
function copySourceOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return objectKeyOf(`/${header.replace(/^\//, '')}`);
}
