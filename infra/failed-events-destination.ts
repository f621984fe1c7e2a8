/**
 * An SQS on-failure destination that grants the function sqs:SendMessage only (Lambda's documented
 * need), where aws-lambda-destinations' SqsDestination grants GetQueueAttributes and GetQueueUrl too.
 */
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { DestinationConfig, IDestination, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export class SendOnlyQueueDestination implements IDestination {
  constructor(private readonly queue: IQueue) {}

  bind(_scope: Construct, fn: IFunction): DestinationConfig {
    Grant.addToPrincipal({ grantee: fn, actions: ['sqs:SendMessage'], resourceArns: [this.queue.queueArn] });
    // SSE-SQS needs no KMS grant; a customer-managed key would.
    if (this.queue.encryptionMasterKey) this.queue.encryptionMasterKey.grantEncryptDecrypt(fn);
    return { destination: this.queue.queueArn };
  }
}
