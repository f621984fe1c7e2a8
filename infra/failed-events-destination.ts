/**
 * An SQS on-failure destination that grants the function sqs:SendMessage only (Lambda's documented
 * need), where aws-lambda-destinations' SqsDestination grants GetQueueAttributes and GetQueueUrl too.
 */
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { DestinationConfig, DlqDestinationConfig, IDestination, IEventSourceDlq, IEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** sqs:SendMessage on the queue, and nothing else; SSE-SQS needs no KMS grant, a customer-managed key would. */
function grantSendOnly(queue: IQueue, fn: IFunction): { destination: string } {
  Grant.addToPrincipal({ grantee: fn, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
  if (queue.encryptionMasterKey) queue.encryptionMasterKey.grantEncryptDecrypt(fn);
  return { destination: queue.queueArn };
}

export class SendOnlyQueueDestination implements IDestination {
  constructor(private readonly queue: IQueue) {}

  bind(_scope: Construct, fn: IFunction): DestinationConfig {
    return grantSendOnly(this.queue, fn);
  }
}

/**
 * The same for an event source mapping's on-failure destination (a stream consumer's parked batches):
 * aws-lambda-event-sources' SqsDlq also grants GetQueueAttributes and GetQueueUrl, which Lambda does
 * not use.
 */
export class SendOnlyQueueDlq implements IEventSourceDlq {
  constructor(private readonly queue: IQueue) {}

  bind(_source: IEventSourceMapping, target: IFunction): DlqDestinationConfig {
    return grantSendOnly(this.queue, target);
  }
}
