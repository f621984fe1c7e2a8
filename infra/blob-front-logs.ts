/**
 * Standard (legacy) access logs of the Blob front. CloudFront delivers them through bucket ACLs, which
 * the upload and access-log buckets have disabled (BucketOwnerEnforced) and should keep disabled: the
 * front gets a log bucket of its own with ACLs enabled but objects owned by the bucket owner. (Logging
 * v2 needs no ACLs but its delivery source must live in us-east-1, and this stack deploys anywhere.)
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface FrontLogBucketProps {
  /** Where this bucket's own server access logs go (the upload bucket's access-log bucket). */
  readonly serverAccessLogs: IBucket;
  readonly expirationDays: number;
  readonly retain: boolean;
}

export function frontLogBucket(scope: Construct, id: string, props: FrontLogBucketProps): Bucket {
  return new Bucket(scope, id, {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
    serverAccessLogsBucket: props.serverAccessLogs,
    serverAccessLogsPrefix: 'blob-front-logs/',
    lifecycleRules: [{ id: 'expire-front-access-logs', expiration: Duration.days(props.expirationDays) }],
    removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    autoDeleteObjects: !props.retain,
  });
}
