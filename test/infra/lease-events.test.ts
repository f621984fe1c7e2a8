import { Match } from 'aws-cdk-lib/assertions';
import { LEASE_EVENT_SOURCE } from '../../shared/lease/events.js';
import { OUTPUTS } from '../../infra/stack.js';
import { logicalId, renderArn, resourcesOf, synthStack } from './helpers.js';

describe('lease events and settling, from the lease table stream', () => {
  const { template } = synthStack();
  const resources = resourcesOf(template);
  const table = logicalId(template, 'AWS::DynamoDB::Table', 'LeasesTable');
  const stream = { 'Fn::GetAtt': [table, 'StreamArn'] };
  const fnArn = (prefix: string) => ({ 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', prefix), 'Arn'] });
  const queueArn = (prefix: string) => ({ 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', prefix), 'Arn'] });
  const bus = logicalId(template, 'AWS::Events::EventBus', 'LeaseEventsBus');

  test('the table streams new and old images (the outbox)', () => {
    expect(resources[table]!.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  test('the pipe: stream (lease items only) -> enrichment Lambda -> the lease bus, ordered retries, then a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Pipes::Pipe', {
      Source: stream,
      Enrichment: fnArn('LeaseEventsEnrichment'),
      Target: { 'Fn::GetAtt': [bus, 'Arn'] },
      SourceParameters: {
        DynamoDBStreamParameters: Match.objectLike({
          StartingPosition: 'TRIM_HORIZON',
          OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          DeadLetterConfig: { Arn: queueArn('LeaseEventsFailedLeaseEvents') },
        }),
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { NewImage: { contract: { S: [{ exists: true }] } } } }) }] },
      },
      TargetParameters: {
        EventBridgeEventBusParameters: { Source: LEASE_EVENT_SOURCE, DetailType: '$.detailType', Time: '$.time' },
        InputTemplate: '<$.detail>',
      },
    });
  });

  test("the pipe's role may read the stream, invoke the enrichment, put on the bus and park failures: nothing else", () => {
    const pipe = Object.values(resourcesOf(template, 'AWS::Pipes::Pipe'))[0]!;
    const role = resources[pipe.Properties.RoleArn['Fn::GetAtt'][0]]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'pipes.amazonaws.com' });
    const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const grants = Object.fromEntries(statements.map((s: any) => [renderArn(s.Resource), [s.Action].flat().sort()]));
    expect(grants).toEqual({
      [renderArn(stream)]: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
      [renderArn(fnArn('LeaseEventsEnrichment'))]: ['lambda:InvokeFunction'],
      [renderArn({ 'Fn::GetAtt': [bus, 'Arn'] })]: ['events:PutEvents'],
      [renderArn(queueArn('LeaseEventsFailedLeaseEvents'))]: ['sqs:SendMessage'],
    });
  });

  test('the settler reads the stream for consumed and deleted leases with work due, bisects, reports failures, parks the rest', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stream,
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'LeaseSettler') },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      DestinationConfig: { OnFailure: { Destination: queueArn('LeaseEventsFailedLeaseSettles') } },
      FilterCriteria: {
        // A moved file's temporary object is left to the sweep (after its download URLs expire): not the settler's.
        Filters: [
          { Pattern: JSON.stringify({ dynamodb: { NewImage: { status: { S: ['CONSUMED'] }, dueAt: { N: [{ exists: true }] }, movedAt: { N: [{ exists: false }] } } } }) },
          { Pattern: JSON.stringify({ dynamodb: { NewImage: { status: { S: ['DELETED'] }, dueAt: { N: [{ exists: true }] } } } }) },
        ],
      },
    });
  });

  test('the bus name is a stack output', () => {
    template.hasOutput(OUTPUTS.leaseEventBusName, { Value: { Ref: bus } });
  });
});
