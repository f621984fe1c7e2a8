import { resourcesOf, synthStack } from './helpers.js';

/** `cdk destroy` leaves nothing half-made: what stays keeps its protections, what goes goes whole. */
describe.each([
  ['deletion protection (default)', {}, true],
  ['deletionProtection=false', { deletionProtection: 'false' }, false],
] as const)('with %s', (_label, context, retain) => {
  const resources = resourcesOf(synthStack(context).template);
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const refId = (value: unknown) => (value as { Ref?: string } | undefined)?.Ref;

  test('every Lambda, including those CDK adds itself, logs to a log group of the stack', () => {
    const lambdas = ofType('AWS::Lambda::Function');
    expect(lambdas.length).toBeGreaterThanOrEqual(6);
    for (const [id, fn] of lambdas) {
      const group = refId(fn.Properties.LoggingConfig?.LogGroup);
      expect({ id, group: group && resources[group]?.Type }).toEqual({ id, group: 'AWS::Logs::LogGroup' });
    }
  });

  test('every log group has a retention', () => {
    for (const [id, group] of ofType('AWS::Logs::LogGroup')) expect({ id, days: group.Properties.RetentionInDays }).toEqual({ id, days: 30 });
  });

  test(retain ? 'a retained bucket or queue keeps its policy' : 'nothing is retained', () => {
    const policies = [...ofType('AWS::S3::BucketPolicy'), ...ofType('AWS::SQS::QueuePolicy')];
    // Two buckets and three dead-letter queues (failed upload events, failed lease events, failed settles).
    expect(policies.length).toBe(5);
    for (const [id, policy] of policies) {
      const target = refId(policy.Properties.Bucket) ?? refId(policy.Properties.Queues?.[0]);
      expect(resources[target!]).toBeDefined();
      expect({ id, target: resources[target!]!.DeletionPolicy ?? 'Delete', policy: policy.DeletionPolicy ?? 'Delete' }).toEqual({
        id,
        target: retain ? 'Retain' : 'Delete',
        policy: retain ? 'Retain' : 'Delete',
      });
    }
    if (!retain) expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain')).toEqual([]);
  });
});
