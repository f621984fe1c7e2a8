/**
 * Naive S3 upload-event Lambda for the cold-init baseline: the S3 client and a DocumentClient built the
 * usual way at module scope, the event handled by bench/naive/upload-event.ts.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Event } from 'aws-lambda';
import { naiveRecordUpload } from '../upload-event.js';

const s3 = new S3Client({});
const ddb = new DynamoDBClient({});
const deps = { s3, ddb, tableName: process.env.LEASE_TABLE_NAME!, bucketName: process.env.UPLOAD_BUCKET_NAME!, retentionSeconds: 43_200 };

export const handler = async (event: S3Event) => {
  for (const record of event.Records) await naiveRecordUpload(deps, decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')));
};
