import { BROKER_LAMBDAS } from '../../infra/broker-function.js';
import { ALARM_THRESHOLDS } from '../../infra/operations.js';
import { OUTPUTS } from '../../infra/outputs.js';
import { LEASE_CONTRACTS } from '../../shared/lease/model.js';
import { METRIC_SERVICE, METRICS, TRANSITIONS } from '../../shared/metric-catalog.js';
import { resourcesOf, synthStack } from './helpers.js';

type AlarmProps = {
  MetricName?: string;
  Namespace?: string;
  Dimensions?: Array<{ Name: string; Value: unknown }>;
  Threshold: number;
  TreatMissingData: string;
  ComparisonOperator: string;
  AlarmActions?: unknown[];
  OKActions?: unknown[];
  Metrics?: Array<{ Expression?: string; Id: string; MetricStat?: { Metric: { MetricName: string } } }>;
};

const alarmsOf = (template: ReturnType<typeof synthStack>['template']) =>
  Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((r) => r.Properties as AlarmProps);

describe('operations: alarms, dashboard, alarm topic', () => {
  const { template, functions: constructs } = synthStack();
  const alarms = alarmsOf(template);
  const functions = resourcesOf(template, 'AWS::Lambda::Function');
  /** A function name in the template is a Ref to the function's logical id. */
  const fnId = (name: string) => {
    const ids = constructs.filter((f) => f.lambda === name).map((f) => f.logicalId);
    if (ids.length !== 1) throw new Error(`expected one function bundled from lambdas/${name}, got ${ids.length}`);
    return { Ref: ids[0]! };
  };

  test('every parking queue alarms on its first message', () => {
    const queueAlarms = alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    const queues = Object.keys(resourcesOf(template, 'AWS::SQS::Queue'));
    expect(queueAlarms).toHaveLength(3);
    for (const a of queueAlarms) {
      expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      const queue = (a.Dimensions![0]!.Value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(queues).toContain(queue);
    }
    expect(new Set(queueAlarms.map((a) => JSON.stringify(a.Dimensions))).size).toBe(3);
  });

  test('retention lag over two sweep intervals alarms, and so does a sweep that stopped reporting it', () => {
    const lag = alarms.filter((a) => a.MetricName === METRICS.retentionLag.name);
    expect(lag).toHaveLength(1);
    expect(ALARM_THRESHOLDS.retentionLagSeconds).toBe(600);
    expect(lag[0]).toMatchObject({
      Namespace: 'UploadLeaseBroker',
      Dimensions: [{ Name: 'service', Value: METRIC_SERVICE }],
      Threshold: 600,
      TreatMissingData: 'breaching',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // The sweep publishes into the namespace the alarm watches.
    const sweep = Object.values(functions).find((f) => JSON.stringify(f.Properties.Environment).includes('POWERTOOLS_METRICS_NAMESPACE') && f.Properties.Description?.includes('retention'));
    expect(sweep!.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe('UploadLeaseBroker');
  });

  test('errors and throttles of each of the Lambdas alarm', () => {
    expect(BROKER_LAMBDAS).toHaveLength(7);
    for (const name of BROKER_LAMBDAS) {
      for (const metric of ['Errors', 'Throttles']) {
        const matching = alarms.filter((a) => a.MetricName === metric && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: fnId(name) }]));
        expect([name, metric, matching.length]).toEqual([name, metric, 1]);
        expect(matching[0]!.Threshold).toBe(1);
      }
    }
  });

  test('the API 5xx rate alarms, judged only from enough requests', () => {
    const rate = alarms.filter((a) => a.Metrics?.some((m) => m.Expression?.includes('errors / requests')));
    expect(rate).toHaveLength(1);
    expect(rate[0]!.Threshold).toBe(ALARM_THRESHOLDS.api5xxPercent);
    const stats = rate[0]!.Metrics!.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.MetricName).sort();
    expect(stats).toEqual(['5xx', 'Count']);
    expect(rate[0]!.Metrics!.find((m) => m.Expression)!.Expression).toContain(`requests >= ${ALARM_THRESHOLDS.api5xxMinRequests}`);
  });

  test('without alarmEmail: no topic, no actions; the dashboard is an output', () => {
    expect(resourcesOf(template, 'AWS::SNS::Topic')).toEqual({});
    for (const a of alarms) expect(a.AlarmActions).toBeUndefined();
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    expect(outputs).toHaveProperty(OUTPUTS.dashboardName);
    expect(outputs).not.toHaveProperty(OUTPUTS.alarmTopicArn);
  });

  test('with alarmEmail: an encrypted, TLS-only topic CloudWatch may use, subscribed by e-mail, on every alarm', () => {
    const withEmail = synthStack({ alarmEmail: 'ops@example.com' }).template;
    const topics = Object.entries(resourcesOf(withEmail, 'AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const [topicId, topic] = topics[0]!;
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^OperationsAlarmTopicKey/), 'Arn'] });
    const subscriptions = Object.values(resourcesOf(withEmail, 'AWS::SNS::Subscription'));
    expect(subscriptions.map((s) => s.Properties)).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } })]);
    const policy = Object.values(resourcesOf(withEmail, 'AWS::SNS::TopicPolicy'))[0]!.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    // The topic's own policy replaces SNS's default one: CloudWatch (this account's alarms) must be allowed to publish.
    expect(policy).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
    );
    const keyPolicy = JSON.stringify(Object.values(resourcesOf(withEmail, 'AWS::KMS::Key')).find((k) => JSON.stringify(k).includes('cloudwatch.amazonaws.com'))!.Properties.KeyPolicy);
    expect(keyPolicy).toContain('kms:GenerateDataKey*');
    const withActions = alarmsOf(withEmail);
    expect(withActions.length).toBe(alarms.length);
    for (const a of withActions) {
      expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.OKActions).toEqual([{ Ref: topicId }]);
    }
    expect(withEmail.toJSON().Outputs).toHaveProperty(OUTPUTS.alarmTopicArn);
  });

  test('the dashboard shows leases per contract and transition, retention lag, Lambda p50/p99 and errors, API latency and 4xx/5xx', () => {
    const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const contract of LEASE_CONTRACTS) {
      for (const transition of [TRANSITIONS.PENDING, TRANSITIONS.UPLOADED, TRANSITIONS.REJECTED, TRANSITIONS.EXPIRED]) {
        expect(body).toContain(`\\"${METRICS.leaseTransitions.name}\\",\\"Contract\\",\\"${contract}\\",\\"Transition\\",\\"${transition}\\"`);
      }
    }
    expect(body).toContain(METRICS.retentionLag.name);
    for (const name of BROKER_LAMBDAS) expect(body).toContain(fnId(name).Ref);
    for (const fragment of ['\\"p50\\"', '\\"p99\\"', '\\"Duration\\"', '\\"Errors\\"', '\\"Throttles\\"', '\\"Latency\\"', '\\"4xx\\"', '\\"5xx\\"']) expect(body).toContain(fragment);
  });
});
