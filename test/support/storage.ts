import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalBroker } from '../../local/server.js';
import type { LeaseRecord } from '../../shared/lease/model.js';

/** Test-side views of the embedded storage (tests may scan; the product never does). */
export async function objectExists(broker: LocalBroker, key: string): Promise<boolean> {
  try {
    await broker.deps.s3.send(new HeadObjectCommand({ Bucket: broker.config.bucketName, Key: key }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw error;
  }
}

export async function readObject(broker: LocalBroker, key: string): Promise<{ body: Buffer; contentType?: string }> {
  const out = await broker.deps.s3.send(new GetObjectCommand({ Bucket: broker.config.bucketName, Key: key }));
  return { body: Buffer.from(await out.Body!.transformToByteArray()), ...(out.ContentType ? { contentType: out.ContentType } : {}) };
}

/** Puts bytes straight into the bucket, as a client with stolen or expired URL semantics could not. */
export async function putDirect(broker: LocalBroker, key: string, body: Buffer | string, contentType?: string) {
  await broker.deps.s3.send(
    new PutObjectCommand({ Bucket: broker.config.bucketName, Key: key, Body: body, ...(contentType ? { ContentType: contentType } : {}) }),
  );
}

export async function allObjectKeys(broker: LocalBroker): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const out = await broker.deps.s3.send(new ListObjectsV2Command({ Bucket: broker.config.bucketName, ContinuationToken }));
    keys.push(...(out.Contents ?? []).map((o) => o.Key!));
    ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

export async function allLeases(broker: LocalBroker): Promise<LeaseRecord[]> {
  const items: LeaseRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await broker.deps.ddb.send(
      new ScanCommand({ TableName: broker.config.tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...((page.Items ?? []) as LeaseRecord[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
