/** The naive baseline as a Lambda entry point (bundled for the cold-init comparison). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { naiveAzureHandler } from '../handlers.js';

const region = process.env.AWS_REGION!;
export const handler = naiveAzureHandler({
  region,
  tableName: process.env.LEASE_TABLE_NAME!,
  bucketName: process.env.UPLOAD_BUCKET_NAME!,
  s3: new S3Client({ region, requestChecksumCalculation: 'WHEN_REQUIRED' }),
  ddb: new DynamoDBClient({ region }),
});
