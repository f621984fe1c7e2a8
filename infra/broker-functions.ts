/**
 * The broker's Lambdas: one per API surface, each routing its operations inside (shared/api/surface.ts),
 * and the event Lambdas (S3 uploads, retention sweep, lease stream). Each gets the table and bucket
 * names; access is granted separately (broker-grants.ts).
 */
import { Duration, type RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { SURFACES, type Surface } from '../shared/api/operation.js';
import { apiFunctionDescription } from './api-descriptions.js';
import { BrokerFunction, type BrokerFunctionProps, type BrokerLambdaName } from './broker-function.js';
import { SendOnlyQueueDestination } from './failed-events-destination.js';
import type { LeaseTable } from './lease-table.js';
import { LIFECYCLE } from './lifecycle.js';
import type { BrokerSettings } from './settings.js';
import type { UploadBucket } from './upload-bucket.js';

/** Construct id of each surface's Lambda; logical ids derive from it, so renaming one replaces the function. */
export const API_FUNCTION_IDS: Readonly<Record<Surface, string>> = { azure: 'AzureApi', alibaba: 'AlibabaApi', leases: 'LeasesApi' };

export interface BrokerFunctionsProps {
  readonly table: LeaseTable;
  readonly uploads: UploadBucket;
  readonly settings: Pick<BrokerSettings, 'lambdaEnvironment' | 'logRetention'>;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Added to the API Lambdas' environment only (auth=contracts). */
  readonly apiEnvironment: Readonly<Record<string, string>>;
  /** Added to the Azure API Lambda's environment only (azureUploads=blob-front: the front's URL and key secret ARN). */
  readonly azureEnvironment?: Readonly<Record<string, string>>;
  /** Where the S3 event Lambda parks the events it gives up on. */
  readonly failedUploadEvents: IQueue;
  /** CloudWatch namespace of the metrics the sweep and the lease-events Lambda log (shared/metrics.ts). */
  readonly metricsNamespace: string;
}

type NewFunction = (id: string, lambda: BrokerLambdaName, description: string, extra?: Partial<BrokerFunctionProps>) => BrokerFunction;

export function brokerFunctions(stack: Stack, props: BrokerFunctionsProps): Readonly<Record<BrokerLambdaName, BrokerFunction>> {
  const newFunction: NewFunction = (id, lambda, description, extra = {}) =>
    new BrokerFunction(stack, id, {
      lambda,
      description,
      environment: {
        LEASE_TABLE_NAME: props.table.tableName,
        UPLOAD_BUCKET_NAME: props.uploads.bucketName,
        ...props.settings.lambdaEnvironment,
        ...(SURFACES.includes(lambda as Surface) ? props.apiEnvironment : {}),
        ...(lambda === 'azure' ? (props.azureEnvironment ?? {}) : {}),
      },
      logRetention: props.settings.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      ...extra,
    });
  return { ...apiFunctions(newFunction), ...eventFunctions(newFunction, props) };
}

function apiFunctions(newFunction: NewFunction): Record<Surface, BrokerFunction> {
  const entries = SURFACES.map((surface) => [surface, newFunction(API_FUNCTION_IDS[surface], surface, apiFunctionDescription(surface))] as const);
  return Object.fromEntries(entries) as Record<Surface, BrokerFunction>;
}

function eventFunctions(
  newFunction: NewFunction,
  props: Pick<BrokerFunctionsProps, 'failedUploadEvents' | 'metricsNamespace'>,
): Record<Exclude<BrokerLambdaName, Surface>, BrokerFunction> {
  const uploadEvents = newFunction('S3UploadEvents', 's3-upload-events', 'Records ObjectCreated events under tmp/ on their leases; deletes the uploads it rejects', {
    timeout: Duration.seconds(30),
    retryAttempts: 2,
    maxEventAge: Duration.hours(6),
    onFailure: new SendOnlyQueueDestination(props.failedUploadEvents),
  });
  const sweep = newFunction('RetentionSweep', 'retention-sweep', 'Deletes objects past retention, expires their leases, finishes settlements the lease settler left', {
    // Finishes before the next run; a failed run is simply the next run's work.
    timeout: Duration.minutes(Math.max(1, LIFECYCLE.sweepIntervalMinutes - 1)),
    retryAttempts: 0,
  });
  const settler = newFunction('LeaseSettler', 'lease-settler', 'Moves consumed files to their permanent key and deletes deleted ones', {
    // A server-side copy of up to 5 GB takes a while.
    timeout: Duration.minutes(5),
  });
  const eventEnrichment = newFunction('LeaseEventsEnrichment', 'lease-events', 'Turns lease table stream records into lease events', {
    memorySize: 256,
  });
  // Retention lag and lease counts, as Embedded Metric Format lines in their logs (shared/metrics.ts).
  for (const fn of [sweep, eventEnrichment]) fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', props.metricsNamespace);
  return { 's3-upload-events': uploadEvents, 'retention-sweep': sweep, 'lease-settler': settler, 'lease-events': eventEnrichment };
}
