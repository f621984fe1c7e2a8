/**
 * AWS on-demand list prices, us-east-1, in USD, as the cost bench uses them, written down with the
 * date they were checked (aws.amazon.com/<service>/pricing and the AWS Price List; the DynamoDB
 * figures are those after the November 2024 on-demand price cut). Prices change: update them here.
 * Unsettled, priced on the expensive side: S3 DeleteObjects (a POST; possibly free like DELETE).
 */
export const PRICES_AS_OF = '2026-11-30';

export type Service = 'API Gateway' | 'Lambda' | 'DynamoDB' | 'S3' | 'EventBridge' | 'CloudWatch';

export const PRICES = Object.freeze({
  /** HTTP API: $1.00 per million requests (first 300 million a month). */
  apiGatewayHttpPerRequest: 1.0 / 1e6,
  /** Lambda: $0.20 per million requests. */
  lambdaPerRequest: 0.2 / 1e6,
  /** Lambda on Arm (Graviton): $0.0000133334 per GB-second (first tier). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand, Standard table class: $0.625 per million write request units. */
  dynamodbPerWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand: $0.125 per million read request units. */
  dynamodbPerReadUnit: 0.125 / 1e6,
  /** S3 Standard: PUT, COPY, POST, LIST: $0.005 per 1,000 (DeleteObjects is a POST). */
  s3PerWriteRequest: 0.005 / 1000,
  /** S3 Standard: GET, HEAD and others: $0.0004 per 1,000. */
  s3PerReadRequest: 0.0004 / 1000,
  /** S3 Standard storage: $0.023 per GB-month (first 50 TB). */
  s3PerGbMonth: 0.023,
  /** EventBridge: custom events, $1.00 per million (64 KB chunks). */
  eventBridgePerEvent: 1.0 / 1e6,
  /** EventBridge Pipes: $0.40 per million requests after filtering (64 KB chunks). */
  pipesPerRequest: 0.4 / 1e6,
  /** DynamoDB Streams reads by a consumer other than a Lambda trigger (the pipe): $0.02 per 100,000. */
  dynamodbStreamReadPerRequest: 0.02 / 100_000,
  /** CloudWatch Logs: $0.50 per GB ingested (standard class). */
  logsPerGbIngested: 0.5,
});
