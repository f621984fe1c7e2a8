/**
 * UploadLeaseBrokerStack: HTTP API -> Lambda; S3 presigned uploads under tmp/; DynamoDB lease table
 * with TTL; an S3 event Lambda recording uploads; a scheduled sweep enforcing the 12-hour retention;
 * the table's stream driving lease events (EventBridge pipe) and the move of consumed files to files/.
 * Environment-agnostic (no lookups, no credentials needed to synth).
 *
 * The helpers below take the stack itself as scope (no wrapping construct): logical ids derive from
 * construct paths, so splitting the code must not add a level to them.
 */
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEFAULTS } from '../shared/config.js';
import { LIFECYCLE } from './lifecycle.js';
import { BlobFront } from './blob-front.js';
import { BrokerApi } from './broker-api.js';
import type { BrokerFunction, BrokerLambdaName } from './broker-function.js';
import { brokerFunctions } from './broker-functions.js';
import { grantBrokerAccess } from './broker-grants.js';
import { contractAuthResources } from './contract-auth-resources.js';
import { completeTeardown } from './teardown.js';
import { LeaseEvents } from './lease-events.js';
import { BrokerOperations } from './operations.js';
import { LeaseTable } from './lease-table.js';
import { acknowledge } from './nag.js';
import type { BrokerSettings } from './settings.js';
import { addStackOutputs } from './stack-outputs.js';
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
  /** -c azureUploads=blob-front only. */
  readonly blobFront?: BlobFront;

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
    const failedUploadEvents = this.failedUploadEventsQueue(removal);
    const contractAuth = contractAuthResources(this, settings, removal);
    this.blobFront = this.blobFrontFor(settings, removal);

    this.functions = brokerFunctions(this, {
      table: this.table,
      uploads: this.uploads,
      settings,
      logRemovalPolicy: removal,
      apiEnvironment: contractAuth?.environment ?? {},
      azureEnvironment: this.blobFront?.azureEnvironment ?? {},
      failedUploadEvents,
      metricsNamespace: this.stackName,
    });
    grantBrokerAccess({
      table: this.table,
      uploads: this.uploads,
      functions: this.functions,
      accessKeysKey: contractAuth?.accessKeysKey,
      blobFront: this.blobFront,
    });

    const leaseEvents = new LeaseEvents(this, 'LeaseEvents', {
      table: this.table.table,
      enrichment: this.functions['lease-events'],
      settler: this.functions['lease-settler'],
      removalPolicy: removal,
    });
    this.uploads.notifyTempObjectCreated(this.functions['s3-upload-events']);
    this.scheduleRetentionSweep(this.functions['retention-sweep']);

    const { azure, alibaba, leases } = this.functions;
    this.api = new BrokerApi(this, 'Api', { handlers: { azure, alibaba, leases }, settings });

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
    addStackOutputs(this, {
      operations,
      api: this.api,
      uploads: this.uploads,
      table: this.table,
      leaseEventBus: leaseEvents.bus,
      accessKeysKey: contractAuth?.accessKeysKey,
      failedUploadEvents,
      blobFront: this.blobFront,
    });

    completeTeardown(this, { retain: settings.deletionProtection, logRetention: settings.logRetention });
  }

  /** The Blob front over the upload bucket, enforcing the same per-file limit as the leases. */
  private blobFrontFor(settings: BrokerSettings, removalPolicy: RemovalPolicy): BlobFront | undefined {
    if (settings.azureUploads !== 'blob-front') return undefined;
    return new BlobFront(this, 'BlobFront', {
      bucket: this.uploads.bucket,
      accessLogs: this.uploads.accessLogs,
      accessLogExpirationDays: settings.accessLogExpirationDays,
      maxBlobBytes: Number(settings.lambdaEnvironment.MAX_UPLOAD_BYTES ?? DEFAULTS.maxUploadBytes),
      keyRotation: settings.blobFrontKeyRotation,
      logRetention: settings.logRetention,
      removalPolicy,
      retain: settings.deletionProtection,
    });
  }

  /** The S3 event Lambda's on-failure destination. */
  private failedUploadEventsQueue(removalPolicy: RemovalPolicy): Queue {
    const queue = new Queue(this, 'FailedUploadEvents', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    acknowledge(
      queue,
      'AwsSolutions-SQS3',
      'This queue is the on-failure destination of the S3 event Lambda, i.e. the dead-letter queue itself; nothing consumes it automatically.',
    );
    return queue;
  }

  private scheduleRetentionSweep(sweep: IFunction): void {
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
  }
}
