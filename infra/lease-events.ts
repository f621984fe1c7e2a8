/**
 * What the lease table's stream drives: the lease-events pipe (stream -> enrichment Lambda -> event
 * bus) and the settler (stream -> Lambda that moves consumed files and deletes deleted ones). The stream
 * is the outbox: a change is in it once DynamoDB has it, so neither a failing Lambda nor a failing
 * EventBridge loses an event; both consumers retry in order per shard and park what they give up on
 * in a queue.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LEASE_EVENT_SOURCE } from '../shared/lease/events.js';
import { SendOnlyQueueDlq } from './failed-events-destination.js';
import { acknowledge } from './nag.js';

export interface LeaseEventsProps {
  readonly table: ITable;
  /** The pipe's enrichment (lambdas/lease-events). */
  readonly enrichment: IFunction;
  /** The stream consumer that settles object work (lambdas/lease-settler). */
  readonly settler: IFunction;
  readonly removalPolicy: RemovalPolicy;
}

/** Records a stream consumer gave up on: kept 14 days for an operator (redrive from the stream record's position). */
function parkingQueue(scope: Construct, id: string, removalPolicy: RemovalPolicy, what: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy,
  });
  acknowledge(queue, 'AwsSolutions-SQS3', `This queue is the dead-letter destination of ${what} itself; nothing consumes it automatically.`);
  return queue;
}

/**
 * Object work to do now (shared/lease/changes.ts needsSettling): a consumed file not moved yet, a
 * deleted one; a moved file's temporary object is the sweep's, once its download URLs have expired.
 * The sweep also finishes anything parked.
 */
const SETTLER_FILTERS = [
  FilterCriteria.filter({ dynamodb: { NewImage: { status: { S: ['CONSUMED'] }, dueAt: { N: FilterRule.exists() }, movedAt: { N: FilterRule.notExists() } } } }),
  FilterCriteria.filter({ dynamodb: { NewImage: { status: { S: ['DELETED'] }, dueAt: { N: FilterRule.exists() } } } }),
];

/**
 * The helpers below create their constructs with this construct as scope and the ids they always had:
 * logical ids derive from construct paths.
 */
export class LeaseEvents extends Construct {
  readonly bus: EventBus;
  readonly pipe: CfnPipe;
  readonly failedEvents: Queue;
  readonly failedSettles: Queue;

  constructor(scope: Construct, id: string, props: LeaseEventsProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('the lease table needs its stream');

    this.bus = new EventBus(this, 'Bus', { description: `Lease transitions (source ${LEASE_EVENT_SOURCE})` });
    this.failedEvents = parkingQueue(this, 'FailedLeaseEvents', props.removalPolicy, 'the lease-events pipe');
    this.failedSettles = parkingQueue(this, 'FailedLeaseSettles', props.removalPolicy, 'the lease settler');
    this.pipe = this.leaseEventsPipe(streamArn, props.enrichment);
    this.settleFromStream(props.table, props.settler);
  }

  /** The pipe's role may do what the pipe does, on these resources only. */
  private pipeRole(streamArn: string, enrichment: IFunction): Role {
    return new Role(this, 'PipeRole', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lease-events pipe: read the lease stream, enrich, put events',
      inlinePolicies: {
        Pipe: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
              resources: [streamArn],
            }),
            new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [enrichment.functionArn] }),
            new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
            new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.failedEvents.queueArn] }),
          ],
        }),
      },
    });
  }

  /** Stream -> enrichment Lambda -> one event per lease transition on the bus; given-up records parked. */
  private leaseEventsPipe(streamArn: string, enrichment: IFunction): CfnPipe {
    return new CfnPipe(this, 'Pipe', {
      roleArn: this.pipeRole(streamArn, enrichment).roleArn,
      description: 'Lease table stream -> one EventBridge event per lease transition',
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: 10,
          maximumBatchingWindowInSeconds: 1,
          // Ordered per lease (a shard keeps an item's changes in order); a failing batch is split to
          // find the record, retried, and after that parked rather than blocking the shard for a day.
          maximumRetryAttempts: 10,
          maximumRecordAgeInSeconds: 6 * 3600,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.failedEvents.queueArn },
        },
        // Lease items only (they carry a contract); rate counters and name claims never reach the Lambda.
        filterCriteria: { filters: [{ pattern: JSON.stringify({ dynamodb: { NewImage: { contract: { S: [{ exists: true }] } } } }) }] },
      },
      enrichment: enrichment.functionArn,
      target: this.bus.eventBusArn,
      targetParameters: {
        // The enrichment answers [{ detailType, time, detail }] (shared/events/lease-event-enrichment.ts).
        eventBridgeEventBusParameters: { source: LEASE_EVENT_SOURCE, detailType: '$.detailType', time: '$.time' },
        inputTemplate: '<$.detail>',
      },
    });
  }

  /** The settler reads the stream itself: retried in order per shard, parked when given up on. */
  private settleFromStream(table: ITable, settler: IFunction): void {
    // DynamoEventSource grants dynamodb:ListStreams, which has no resource-level permissions.
    acknowledge(
      settler.role ?? this,
      'AwsSolutions-IAM5[Resource::*]',
      'dynamodb:ListStreams, which Lambda needs to read the lease stream, cannot be scoped to a resource (the other stream actions are on the stream ARN).',
    );
    settler.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 5,
        maxRecordAge: Duration.hours(6),
        onFailure: new SendOnlyQueueDlq(this.failedSettles),
        filters: SETTLER_FILTERS,
      }),
    );
  }
}
