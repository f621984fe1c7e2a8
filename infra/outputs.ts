/** Output ids, exactly as `cdk deploy` prints them and docs/deploy.md uses them. */
export const OUTPUTS = Object.freeze({
  leaseEventBusName: 'LeaseEventBusName',
  accessKeysKeyArn: 'AccessKeysKeyArn',
  apiUrl: 'ApiUrl',
  apiId: 'ApiId',
  bucketName: 'BucketName',
  tableName: 'TableName',
  region: 'Region',
  failedUploadEventsQueueUrl: 'FailedUploadEventsQueueUrl',
  dashboardName: 'DashboardName',
  alarmTopicArn: 'AlarmTopicArn',
  blobFrontUrl: 'BlobFrontUrl',
  blobFrontDistributionId: 'BlobFrontDistributionId',
});
