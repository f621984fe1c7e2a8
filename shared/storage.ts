import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { toDependencyError } from './aws/dependency-errors.js';

export interface StoredObject {
  readonly size: number;
  readonly eTag: string;
  readonly contentType?: string;
}

/** The few S3 calls the event handler and the sweep make, with errors mapped to DependencyError. */
export interface ObjectStore {
  head(key: string): Promise<StoredObject | undefined>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
}

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
  };
}
