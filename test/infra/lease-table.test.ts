import { Match } from 'aws-cdk-lib/assertions';
import { LEASE_TABLE, createTableInput } from '../../shared/adapters/lease-table.js';
import { resourcesOf, synthStack } from './helpers.js';

describe('lease table', () => {
  const { template } = synthStack();

  test('mirrors shared/adapters/lease-table.ts: partition key, attribute types, byDue index projecting INCLUDE (the keys plus status, sequencer, objectKey, storedKey, eTag)', () => {
    const input = createTableInput('ignored');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: input.KeySchema,
      AttributeDefinitions: Match.arrayEquals(input.AttributeDefinitions),
      GlobalSecondaryIndexes: [
        {
          IndexName: LEASE_TABLE.dueIndex.name,
          KeySchema: input.GlobalSecondaryIndexes[0]!.KeySchema,
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'sequencer', 'objectKey', 'storedKey', 'eTag'] },
        },
      ],
    });
  });

  test('TTL on the lease expiry attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: LEASE_TABLE.ttlAttribute, Enabled: true },
    });
  });

  test('on-demand billing and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  test('deletion protection and RETAIN by default', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('-c deletionProtection=false makes a disposable sandbox table', () => {
    const sandbox = synthStack({ deletionProtection: 'false' }).template;
    sandbox.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
  });

  test('exactly one table', () => {
    expect(Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'))).toHaveLength(1);
  });
});
