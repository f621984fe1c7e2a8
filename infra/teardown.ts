import { CfnResource, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { CfnQueuePolicy } from 'aws-cdk-lib/aws-sqs';
import { CfnBucketPolicy } from 'aws-cdk-lib/aws-s3';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * What `cdk destroy` leaves must be whole. Run once the stack is built:
 * - a retained bucket or queue keeps its policy (a retained bucket without its TLS-only rule and its
 *   log-delivery grant would be quietly weaker than the one deployed);
 * - every Lambda CDK adds on its own (the auto-delete-objects provider) logs to a log group the stack
 *   owns, with a retention, removed with the stack, instead of one Lambda creates at run time and no
 *   one ever deletes.
 */
export function completeTeardown(stack: Stack, options: { retain: boolean; logRetention: RetentionDays }): void {
  const nodes = stack.node.findAll();
  if (options.retain) {
    for (const node of nodes) {
      if (node instanceof CfnBucketPolicy || node instanceof CfnQueuePolicy) node.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
  }
  for (const node of nodes) {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== 'AWS::Lambda::Function') continue;
    if (hasLoggingConfig(node)) continue;
    const logs = new LogGroup(node.node.scope!, `${node.node.id}Logs`, {
      retention: options.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    node.addPropertyOverride('LoggingConfig.LogGroup', logs.logGroupName);
  }
}

/** Set as a typed property (L2 functions) or as an override (UploadBucket's notifications handler). */
function hasLoggingConfig(node: CfnResource): boolean {
  const internals = node as unknown as { _cfnProperties?: Record<string, unknown>; rawOverrides?: { Properties?: Record<string, unknown> }; loggingConfig?: unknown };
  return (
    internals.loggingConfig !== undefined ||
    internals._cfnProperties?.LoggingConfig !== undefined ||
    internals.rawOverrides?.Properties?.LoggingConfig !== undefined
  );
}
