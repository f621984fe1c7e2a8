/**
 * The upload event handled the usual way, for the cost bench's baseline lifecycle: read the lease,
 * HEAD the object for its size and type, compare, then a conditional UpdateItem. Happy path only;
 * not product code.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface NaiveUploadDeps {
  readonly ddb: DynamoDBClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucketName: string;
  readonly retentionSeconds: number;
}

export async function naiveRecordUpload(deps: NaiveUploadDeps, key: string): Promise<'uploaded' | 'rejected' | 'unknown'> {
  const doc = DynamoDBDocumentClient.from(deps.ddb);
  const leaseId = key.split('/')[1]!;
  const lease = (await doc.send(new GetCommand({ TableName: deps.tableName, Key: { leaseId }, ConsistentRead: true }))).Item;
  if (!lease || lease.status !== 'PENDING') return 'unknown';
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucketName, Key: key }));
  const ok =
    (lease.declaredSize === undefined || lease.declaredSize === head.ContentLength) &&
    (lease.contentType === undefined || lease.contentType === head.ContentType);
  const now = Date.now();
  const dueAt = now + deps.retentionSeconds * 1000;
  await doc.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: { leaseId },
      UpdateExpression: ok ? 'SET #status = :status, #dueAt = :dueAt, #dueShard = :dueShard, #size = :size' : 'SET #status = :status, #size = :size REMOVE #dueAt, #dueShard',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status', '#size': 'size', '#dueAt': 'dueAt', '#dueShard': 'dueShard' },
      ExpressionAttributeValues: {
        ':status': ok ? 'UPLOADED' : 'REJECTED',
        ':pending': 'PENDING',
        ':size': head.ContentLength,
        ...(ok ? { ':dueAt': dueAt, ':dueShard': lease.dueShard } : {}),
      },
    }),
  );
  return ok ? 'uploaded' : 'rejected';
}
