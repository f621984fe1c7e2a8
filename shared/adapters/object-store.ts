import { CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { toDependencyError } from './dependency-errors.js';
import { encodeKeyPath } from './presign.js';
import { DELETE_BATCH, type ListedObject, type ObjectStore } from '../lease/ports.js';


const isPreconditionFailed = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
};

const isNotFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};


export function createObjectStore(s3: S3Client, bucket: string): ObjectStore {
  return {
    async head(key) {
      try {
        const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return {
          size: out.ContentLength ?? 0,
          eTag: out.ETag ?? '',
          ...(out.ContentType !== undefined ? { contentType: out.ContentType } : {}),
          ...(out.LastModified !== undefined ? { lastModified: out.LastModified.getTime() } : {}),
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw toDependencyError('s3', error);
      }
    },
    async delete(key) {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (isNotFound(error)) return;
        throw toDependencyError('s3', error);
      }
    },
    async deleteMany(keys) {
      if (keys.length === 0) return [];
      if (keys.length > DELETE_BATCH) throw new Error(`deleteMany takes at most ${DELETE_BATCH} keys`);
      try {
        // Quiet: S3 answers with the failures only.
        const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        return (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey').map((e) => e.Key!);
      } catch (error) {
        throw toDependencyError('s3', error);
      }
    },
    async copy(source, target, eTag) {
      try {
        await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: target,
            CopySource: `${bucket}/${encodeKeyPath(source)}`,
            CopySourceIfMatch: `"${eTag}"`,
          }),
        );
        return true;
      } catch (error) {
        if (isNotFound(error) || isPreconditionFailed(error)) return false;
        throw toDependencyError('s3', error);
      }
    },
    async list(prefix) {
      const listed: ListedObject[] = [];
      let token: string | undefined;
      try {
        do {
          const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
          for (const o of out.Contents ?? []) {
            listed.push({ key: o.Key!, size: o.Size ?? 0, eTag: o.ETag ?? '', lastModified: o.LastModified?.getTime() ?? 0 });
          }
          token = out.IsTruncated ? out.NextContinuationToken : undefined;
        } while (token !== undefined);
      } catch (error) {
        throw toDependencyError('s3', error);
      }
      return listed;
    },
  };
}
