/** The stack's outputs: what deploy scripts, the docs and an operator read after `cdk deploy` (ids in outputs.ts). */
import { Aws, CfnOutput, type Stack } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { LEASE_EVENT_SOURCE } from '../shared/lease/events.js';
import type { BlobFront } from './blob-front.js';
import type { BrokerApi } from './broker-api.js';
import type { LeaseTable } from './lease-table.js';
import type { BrokerOperations } from './operations.js';
import { OUTPUTS } from './outputs.js';
import type { UploadBucket } from './upload-bucket.js';

export interface StackOutputsProps {
  readonly operations: BrokerOperations;
  readonly api: BrokerApi;
  readonly uploads: UploadBucket;
  readonly table: LeaseTable;
  readonly leaseEventBus: IEventBus;
  /** auth=contracts only. */
  readonly accessKeysKey?: IKey;
  readonly failedUploadEvents: IQueue;
  /** azureUploads=blob-front only. */
  readonly blobFront?: BlobFront;
}

export function addStackOutputs(stack: Stack, props: StackOutputsProps): void {
  const { operations, api, accessKeysKey } = props;
  new CfnOutput(stack, OUTPUTS.dashboardName, { value: operations.dashboard.dashboardName, description: 'CloudWatch dashboard of leases, retention, Lambdas and the API' });
  if (operations.topic) {
    new CfnOutput(stack, OUTPUTS.alarmTopicArn, { value: operations.topic.topicArn, description: 'SNS topic the alarms notify (confirm the e-mail subscription)' });
  }
  new CfnOutput(stack, OUTPUTS.apiUrl, { value: api.url, description: 'Base URL of the HTTP API ($default stage)' });
  new CfnOutput(stack, OUTPUTS.apiId, { value: api.api.apiId, description: 'For execute-api:Invoke policies of IAM callers' });
  new CfnOutput(stack, OUTPUTS.bucketName, { value: props.uploads.bucketName, description: 'Upload bucket (objects under tmp/)' });
  new CfnOutput(stack, OUTPUTS.tableName, { value: props.table.tableName, description: 'Lease table' });
  new CfnOutput(stack, OUTPUTS.leaseEventBusName, {
    value: props.leaseEventBus.eventBusName,
    description: `EventBridge bus of lease events (source ${LEASE_EVENT_SOURCE}; see README)`,
  });
  if (accessKeysKey) {
    new CfnOutput(stack, OUTPUTS.accessKeysKeyArn, { value: accessKeysKey.keyArn, description: 'KMS key of the stored access keys (npm run access-keys)' });
  }
  new CfnOutput(stack, OUTPUTS.region, { value: Aws.REGION, description: 'Region the stack is deployed in (SigV4 signing region)' });
  new CfnOutput(stack, OUTPUTS.failedUploadEventsQueueUrl, {
    value: props.failedUploadEvents.queueUrl,
    description: 'S3 events the event Lambda gave up on (after 2 retries); inspect and redrive',
  });
  if (props.blobFront) {
    new CfnOutput(stack, OUTPUTS.blobFrontUrl, { value: props.blobFront.url, description: 'Blob front (azureUploads=blob-front): base of the container SAS URIs' });
    new CfnOutput(stack, OUTPUTS.blobFrontDistributionId, { value: props.blobFront.distribution.distributionId, description: 'CloudFront distribution of the Blob front (invalidations are never needed: nothing is cached)' });
  }
}
