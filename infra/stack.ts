/**
 * UploadLeaseBrokerStack: HTTP API -> Lambda; S3 presigned uploads under tmp/; DynamoDB lease table
 * with TTL; an S3 event Lambda recording uploads; a scheduled sweep enforcing the 12-hour retention;
 * the table's stream driving lease events (EventBridge pipe) and the move of consumed files to files/.
 * Environment-agnostic (no lookups, no credentials needed to synth).
 */
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SURFACES, type Surface } from '../shared/api/operation.js';
import { LEASE_EVENT_SOURCE } from '../shared/lease/events.js';
import { LIFECYCLE } from './lifecycle.js';
import { BrokerApi } from './broker-api.js';
import { BrokerFunction, type BrokerFunctionProps, type BrokerLambdaName } from './broker-function.js';
import { SendOnlyQueueDestination } from './failed-events-destination.js';
import { completeTeardown } from './teardown.js';
import { LeaseEvents } from './lease-events.js';
import { BrokerOperations } from './operations.js';
import { OUTPUTS } from './outputs.js';
import { LeaseTable } from './lease-table.js';
import { acknowledge } from './nag.js';
import type { BrokerSettings } from './settings.js';
import { UploadBucket } from './upload-bucket.js';

export interface UploadLeaseBrokerStackProps extends StackProps {
  readonly settings: BrokerSettings;
}

export { OUTPUTS } from './outputs.js';

export class UploadLeaseBrokerStack extends Stack {
  readonly table: LeaseTable;
  readonly uploads: UploadBucket;
  readonly api: BrokerApi;
  readonly functions: Readonly<Record<BrokerLambdaName, BrokerFunction>>;

  constructor(scope: Construct, id: string, props: UploadLeaseBrokerStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const removal = settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new LeaseTable(this, 'Leases', { deletionProtection: settings.deletionProtection });
    this.uploads = new UploadBucket(this, 'Uploads', {
      deletionProtection: settings.deletionProtection,
      localstack: settings.localstack,
      corsAllowedOrigins: settings.corsAllowedOrigins,
      accessLogExpirationDays: settings.accessLogExpirationDays,
      tempObjectExpirationDays: settings.tempObjectExpirationDays,
      logRetention: settings.logRetention,
    });

    const failedUploadEvents = new Queue(this, 'FailedUploadEvents', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: removal,
    });
    acknowledge(
      failedUploadEvents,
      'AwsSolutions-SQS3',
      'This queue is the on-failure destination of the S3 event Lambda, i.e. the dead-letter queue itself; nothing consumes it automatically.',
    );

    // auth=contracts: access-key secrets are stored encrypted under this key (npm run access-keys).
    const accessKeysKey =
      settings.auth === 'contracts'
        ? new Key(this, 'AccessKeysKey', {
            description: 'Encrypts the secrets of the Alibaba-style access keys the API accepts',
            enableKeyRotation: true,
            removalPolicy: removal,
          })
        : undefined;
    const contractAuthEnvironment: Record<string, string> = accessKeysKey
      ? {
          AUTH: 'contracts',
          JWT_ISSUER: settings.jwt!.issuer,
          JWT_AUDIENCE: settings.jwt!.audience.join(','),
          ACCESS_KEYS_KMS_KEY_ARN: accessKeysKey.keyArn,
        }
      : {};

    const brokerFunction = (id: string, lambda: BrokerLambdaName, description: string, extra: Partial<BrokerFunctionProps> = {}) =>
      new BrokerFunction(this, id, {
        lambda,
        description,
        environment: {
          LEASE_TABLE_NAME: this.table.tableName,
          UPLOAD_BUCKET_NAME: this.uploads.bucketName,
          ...settings.lambdaEnvironment,
          ...(SURFACES.includes(lambda as Surface) ? contractAuthEnvironment : {}),
        },
        logRetention: settings.logRetention,
        logRemovalPolicy: removal,
        ...extra,
      });

    // One Lambda per API surface; each routes its operations inside (shared/api/surface.ts).
    const azure = brokerFunction('AzureApi', 'azure', 'Azure ML contract: startPendingUpload (create-or-get a lease)');
    const alibaba = brokerFunction('AlibabaApi', 'alibaba', 'Alibaba Model Studio contract: ApplyFileUploadLease (new lease)');
    const leases = brokerFunction('LeasesApi', 'leases', "The broker's own routes: lease status");
    const uploadEvents = brokerFunction('S3UploadEvents', 's3-upload-events', 'Records ObjectCreated events under tmp/ on their leases', {
      timeout: Duration.seconds(30),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SendOnlyQueueDestination(failedUploadEvents),
    });
    const sweep = brokerFunction('RetentionSweep', 'retention-sweep', 'Deletes objects past retention and expires their leases', {
      // Finishes before the next run; a failed run is simply the next run's work.
      timeout: Duration.minutes(Math.max(1, LIFECYCLE.sweepIntervalMinutes - 1)),
      retryAttempts: 0,
    });
    const settler = brokerFunction('LeaseSettler', 'lease-settler', 'Moves consumed files to their permanent key and deletes deleted ones', {
      // A server-side copy of up to 5 GB takes a while.
      timeout: Duration.minutes(5),
    });
    const eventEnrichment = brokerFunction('LeaseEventsEnrichment', 'lease-events', 'Turns lease table stream records into lease events', {
      memorySize: 256,
    });
    // Retention lag and lease counts, as Embedded Metric Format lines in their logs (shared/metrics.ts).
    for (const fn of [sweep, eventEnrichment]) fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', this.stackName);
    this.functions = {
      azure,
      alibaba,
      leases,
      's3-upload-events': uploadEvents,
      'retention-sweep': sweep,
      'lease-settler': settler,
      'lease-events': eventEnrichment,
    };

    this.table.grantIssueOrRenewLeases(azure);
    this.table.grantClaimNames(azure);
    this.table.grantIssueRateLimitedLeases(alibaba);
    for (const leaseIssuer of [azure, alibaba]) this.uploads.grantPutTempObjects(leaseIssuer);
    // Consumers (AddFile, DescribeFile, DeleteFile; code versions; POST /leases/{id}/consume) write
    // DynamoDB only; they HEAD (and delete a rejected) upload that no S3 event has decided on yet.
    for (const consumer of [azure, alibaba, leases]) {
      this.table.grantTransitionLeases(consumer);
      this.uploads.grantVerifyUploads(consumer);
    }
    this.table.grantReadLeases(leases);
    this.uploads.grantReadLeaseObjects(leases);
    if (accessKeysKey) {
      // Alibaba's routes and the broker's own verify ACS3 signatures (keys, nonces); Azure's and the
      // broker's look up the grants of a token's principal.
      for (const fn of [alibaba, leases]) {
        this.table.grantReadCredentials(fn);
        this.table.grantRecordNonces(fn);
        accessKeysKey.grantDecrypt(fn);
      }
      this.table.grantReadCredentials(azure);
    }
    this.table.grantTransitionLeases(uploadEvents);
    this.uploads.grantInspectTempObjects(uploadEvents);
    this.table.grantTransitionLeases(sweep);
    this.table.grantQueryDueIndex(sweep);
    this.table.grantReadLeasesInBatches(sweep);
    this.uploads.grantDeleteTempObjects(sweep);
    this.uploads.grantSettleLeaseObjects(sweep);
    this.table.grantTransitionLeases(settler);
    this.uploads.grantSettleLeaseObjects(settler);

    const leaseEvents = new LeaseEvents(this, 'LeaseEvents', {
      table: this.table.table,
      enrichment: eventEnrichment,
      settler,
      removalPolicy: removal,
    });

    this.uploads.notifyTempObjectCreated(uploadEvents);

    new Rule(this, 'RetentionSweepSchedule', {
      description: `Runs the retention sweep every ${LIFECYCLE.sweepIntervalMinutes} minutes`,
      schedule: Schedule.rate(Duration.minutes(LIFECYCLE.sweepIntervalMinutes)),
      targets: [
        new LambdaFunction(sweep, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(LIFECYCLE.sweepIntervalMinutes),
        }),
      ],
    });

    this.api = new BrokerApi(this, 'Api', {
      handlers: { azure, alibaba, leases },
      settings,
    });

    const operations = new BrokerOperations(this, 'Operations', {
      namespace: this.stackName,
      functions: this.functions,
      api: this.api.api,
      parkingQueues: {
        FailedUploadEvents: failedUploadEvents,
        FailedLeaseEvents: leaseEvents.failedEvents,
        FailedLeaseSettles: leaseEvents.failedSettles,
      },
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
      removalPolicy: removal,
    });
    new CfnOutput(this, OUTPUTS.dashboardName, { value: operations.dashboard.dashboardName, description: 'CloudWatch dashboard of leases, retention, Lambdas and the API' });
    if (operations.topic) {
      new CfnOutput(this, OUTPUTS.alarmTopicArn, { value: operations.topic.topicArn, description: 'SNS topic the alarms notify (confirm the e-mail subscription)' });
    }
    new CfnOutput(this, OUTPUTS.apiUrl, { value: this.api.url, description: 'Base URL of the HTTP API ($default stage)' });
    new CfnOutput(this, OUTPUTS.apiId, { value: this.api.api.apiId, description: 'For execute-api:Invoke policies of IAM callers' });
    new CfnOutput(this, OUTPUTS.bucketName, { value: this.uploads.bucketName, description: 'Upload bucket (objects under tmp/)' });
    new CfnOutput(this, OUTPUTS.tableName, { value: this.table.tableName, description: 'Lease table' });
    new CfnOutput(this, OUTPUTS.leaseEventBusName, {
      value: leaseEvents.bus.eventBusName,
      description: `EventBridge bus of lease events (source ${LEASE_EVENT_SOURCE}; see README)`,
    });
    if (accessKeysKey) {
      new CfnOutput(this, OUTPUTS.accessKeysKeyArn, { value: accessKeysKey.keyArn, description: 'KMS key of the stored access keys (npm run access-keys)' });
    }
    new CfnOutput(this, OUTPUTS.region, { value: Aws.REGION, description: 'Region the stack is deployed in (SigV4 signing region)' });
    new CfnOutput(this, OUTPUTS.failedUploadEventsQueueUrl, {
      value: failedUploadEvents.queueUrl,
      description: 'S3 events the event Lambda gave up on (after 2 retries); inspect and redrive',
    });

    completeTeardown(this, { retain: settings.deletionProtection, logRetention: settings.logRetention });
  }
}
