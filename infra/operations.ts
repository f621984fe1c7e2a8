/**
 * What an operator watches: alarms on the broker's promises (no upload event lost, no file kept past its
 * retention, no failing Lambda, few API 5xx) and one dashboard. Alarm notifications go to an SNS topic
 * when `-c alarmEmail=...` is given; without it the alarms still show in the console.
 */
import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LEASE_CONTRACTS } from '../shared/lease/model.js';
import { LIFECYCLE } from './lifecycle.js';
import { METRIC_SERVICE, METRICS, TRANSITIONS, type Transition } from '../shared/metric-catalog.js';
import type { BrokerFunction, BrokerLambdaName } from './broker-function.js';

/** Thresholds, named so the README and the tests can quote them. */
export const ALARM_THRESHOLDS = Object.freeze({
  /** Two sweep intervals: one run may be cut short by its deadline, two in a row means a backlog. */
  retentionLagSeconds: 2 * LIFECYCLE.sweepIntervalMinutes * 60,
  /** Per cent of API requests answered 5xx over 5 minutes, judged from this many requests on. */
  api5xxPercent: 5,
  api5xxMinRequests: 20,
});

export interface BrokerOperationsProps {
  readonly namespace: string;
  readonly functions: Readonly<Record<BrokerLambdaName, BrokerFunction>>;
  readonly api: HttpApi;
  /** Queues where work the broker gave up on waits for an operator: any message is an alarm. */
  readonly parkingQueues: Readonly<Record<string, IQueue>>;
  readonly alarmEmail?: string;
  readonly removalPolicy: RemovalPolicy;
}

/** A metric the broker's Lambdas publish (Embedded Metric Format, shared/metric-catalog.ts). */
type BrokerMetric = (name: string, statistic: string, dimensionsMap?: Record<string, string>, period?: Duration) => Metric;

/** The broker's metrics live in the stack's namespace, under the broker's service dimension. */
function brokerMetrics(namespace: string): BrokerMetric {
  return (name, statistic, dimensionsMap = {}, period = Duration.minutes(5)) =>
    new Metric({ namespace, metricName: name, statistic, period, dimensionsMap: { service: METRIC_SERVICE, ...dimensionsMap } });
}

/** One line per contract: the leases that took this transition. */
function transitionsPerContract(brokerMetric: BrokerMetric, transition: Transition): Metric[] {
  return LEASE_CONTRACTS.map((contract) =>
    brokerMetric(METRICS.leaseTransitions.name, 'Sum', { Contract: contract, Transition: transition }).with({ label: `${contract}` }),
  );
}

/** API requests and 5xx answers over 5 minutes: the 5xx alarm divides them, the dashboard plots them. */
interface ApiTraffic {
  readonly requests: Metric;
  readonly serverErrors: Metric;
}

function apiTraffic(api: HttpApi): ApiTraffic {
  return {
    requests: api.metricCount({ period: Duration.minutes(5), statistic: 'Sum' }),
    serverErrors: api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
  };
}

/** BrokerLambdaName in PascalCase, for alarm ids: 's3-upload-events' -> 'S3UploadEvents'. */
function alarmLabel(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}

const WIDE = { width: 12, height: 6 } as const;

/** Leases issued, uploads, expirations, and the retention sweep with its alarm threshold. */
function leaseWidgetRows(brokerMetric: BrokerMetric): GraphWidget[][] {
  const transitions = (transition: Transition) => transitionsPerContract(brokerMetric, transition);
  return [
    [
      new GraphWidget({ title: 'Leases issued per contract', left: transitions(TRANSITIONS.PENDING), ...WIDE }),
      new GraphWidget({ title: 'Uploads verified (left) and rejected (right)', left: transitions(TRANSITIONS.UPLOADED), right: transitions(TRANSITIONS.REJECTED), ...WIDE }),
    ],
    [
      new GraphWidget({ title: 'Expirations per contract', left: transitions(TRANSITIONS.EXPIRED), ...WIDE }),
      new GraphWidget({
        title: 'Retention lag (s) and sweep failures',
        left: [brokerMetric(METRICS.retentionLag.name, 'Maximum')],
        right: [brokerMetric(METRICS.sweepFailures.name, 'Sum'), brokerMetric(METRICS.sweepStoppedEarly.name, 'Sum')],
        leftAnnotations: [{ value: ALARM_THRESHOLDS.retentionLagSeconds, label: 'alarm' }],
        ...WIDE,
      }),
    ],
  ];
}

/** Duration percentiles, errors and throttles, one line per Lambda. */
function lambdaWidgetRows(functions: Readonly<Record<BrokerLambdaName, BrokerFunction>>): GraphWidget[][] {
  const fns = Object.entries(functions);
  const perFunction = (metric: (fn: BrokerFunction) => IMetric) => fns.map(([name, fn]) => (metric(fn) as Metric).with({ label: name }));
  return [
    [
      new GraphWidget({ title: 'Lambda duration p50 (ms)', left: perFunction((fn) => fn.metricDuration({ statistic: 'p50' })), ...WIDE }),
      new GraphWidget({ title: 'Lambda duration p99 (ms)', left: perFunction((fn) => fn.metricDuration({ statistic: 'p99' })), ...WIDE }),
    ],
    [
      new GraphWidget({ title: 'Lambda errors', left: perFunction((fn) => fn.metricErrors({ statistic: 'Sum' })), ...WIDE }),
      new GraphWidget({ title: 'Lambda throttles', left: perFunction((fn) => fn.metricThrottles({ statistic: 'Sum' })), ...WIDE }),
    ],
  ];
}

/** Latency percentiles; requests against 4xx and 5xx answers. */
function apiWidgetRow(api: HttpApi, { requests, serverErrors }: ApiTraffic): GraphWidget[] {
  return [
    new GraphWidget({
      title: 'API latency (ms)',
      left: [api.metricLatency({ statistic: 'p50' }).with({ label: 'p50' }), api.metricLatency({ statistic: 'p99' }).with({ label: 'p99' })],
      ...WIDE,
    }),
    new GraphWidget({
      title: 'API requests, 4xx and 5xx',
      left: [requests.with({ label: 'requests' })],
      right: [api.metricClientError({ statistic: 'Sum' }).with({ label: '4xx' }), serverErrors.with({ label: '5xx' })],
      ...WIDE,
    }),
  ];
}

/**
 * Each helper below creates its constructs with this construct as scope and the ids they always had:
 * logical ids derive from construct paths, and alarms must exist before the dashboard lists them.
 */
export class BrokerOperations extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  readonly topic?: Topic;

  constructor(scope: Construct, id: string, props: BrokerOperationsProps) {
    super(scope, id);
    const brokerMetric = brokerMetrics(props.namespace);
    const traffic = apiTraffic(props.api);

    // First, so that every alarm created below notifies it.
    if (props.alarmEmail) this.topic = this.alarmTopic(props.alarmEmail, props.removalPolicy);
    this.alarmOnParkedWork(props.parkingQueues);
    this.alarmOnRetentionLag(brokerMetric);
    this.alarmOnLambdas(props.functions);
    this.alarmOnApi5xxRate(traffic);
    this.dashboard = this.operationsDashboard(brokerMetric, props.functions, props.api, traffic);
  }

  /** The SNS topic alarms notify, encrypted, with the e-mail subscription asked for. */
  private alarmTopic(alarmEmail: string, removalPolicy: RemovalPolicy): Topic {
    // CloudWatch publishes to an encrypted topic only with a customer-managed key that lets it.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the broker alarm topic',
      enableKeyRotation: true,
      removalPolicy,
    });
    // Only this account's alarms: CloudWatch acts for whichever account owns the alarm.
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } });
    key.grant(cloudWatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new Topic(this, 'AlarmTopic', { displayName: `${Stack.of(this).stackName} alarms`, masterKey: key, enforceSSL: true });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default: say who may publish.
    topic.addToResourcePolicy(new PolicyStatement({ principals: [cloudWatch], actions: ['sns:Publish'], resources: [topic.topicArn] }));
    topic.addSubscription(new EmailSubscription(alarmEmail));
    return topic;
  }

  /** An alarm at threshold or above, notifying the topic (if any) both ways, listed in `alarms`. */
  private addAlarm(id: string, metric: IMetric, threshold: number, description: string, missing = TreatMissingData.NOT_BREACHING): Alarm {
    const created = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: missing,
      alarmDescription: description,
    });
    if (this.topic) {
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
    }
    this.alarms.push(created);
    return created;
  }

  /** Any message in a parking queue is work the broker gave up on. */
  private alarmOnParkedWork(parkingQueues: Readonly<Record<string, IQueue>>): void {
    for (const [name, queue] of Object.entries(parkingQueues)) {
      this.addAlarm(
        `${name}NotEmpty`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        1,
        `${name}: work the broker gave up on is waiting for an operator (inspect, fix, redrive)`,
      );
    }
  }

  /** Temporary files kept past their retention, judged over two sweep intervals. */
  private alarmOnRetentionLag(brokerMetric: BrokerMetric): void {
    // Missing counts as breaching: a sweep that stopped running publishes nothing, and that is the
    // failure this alarm exists for.
    this.addAlarm(
      'RetentionLag',
      brokerMetric(METRICS.retentionLag.name, 'Maximum', {}, Duration.minutes(2 * LIFECYCLE.sweepIntervalMinutes)),
      ALARM_THRESHOLDS.retentionLagSeconds,
      `Temporary files are outliving their retention by ${ALARM_THRESHOLDS.retentionLagSeconds} s or more, or the sweep stopped reporting`,
      TreatMissingData.BREACHING,
    );
  }

  /** Every failed or throttled invocation of any broker Lambda. */
  private alarmOnLambdas(functions: Readonly<Record<BrokerLambdaName, BrokerFunction>>): void {
    for (const [name, fn] of Object.entries(functions)) {
      const label = alarmLabel(name);
      this.addAlarm(`${label}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `Lambda ${name} failed invocations`);
      this.addAlarm(`${label}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `Lambda ${name} was throttled`);
    }
  }

  /** The share of 5xx answers, once there are enough requests for a share to mean something. */
  private alarmOnApi5xxRate({ requests, serverErrors }: ApiTraffic): void {
    this.addAlarm(
      'Api5xxRate',
      new MathExpression({
        expression: `IF(requests >= ${ALARM_THRESHOLDS.api5xxMinRequests}, 100 * errors / requests, 0)`,
        usingMetrics: { requests, errors: serverErrors },
        period: Duration.minutes(5),
        label: 'API 5xx %',
      }),
      ALARM_THRESHOLDS.api5xxPercent,
      `${ALARM_THRESHOLDS.api5xxPercent}% or more of API requests answered 5xx`,
    );
  }

  /** One dashboard, top to bottom: leases, retention, Lambdas, the API, then every alarm's state. */
  private operationsDashboard(
    brokerMetric: BrokerMetric,
    functions: Readonly<Record<BrokerLambdaName, BrokerFunction>>,
    api: HttpApi,
    traffic: ApiTraffic,
  ): Dashboard {
    const { stackName } = Stack.of(this);
    return new Dashboard(this, 'Dashboard', {
      dashboardName: `${stackName}-operations`,
      defaultInterval: Duration.hours(12),
      widgets: [
        [new TextWidget({ markdown: `# ${stackName}\nLeases by contract, uploads, the 12-hour retention, Lambdas and the API.`, width: 24, height: 2 })],
        ...leaseWidgetRows(brokerMetric),
        ...lambdaWidgetRows(functions),
        apiWidgetRow(api, traffic),
        [new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 })],
      ],
    });
  }
}
