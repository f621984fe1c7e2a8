/**
 * What a synthesized template says about each Lambda and what triggers it, read from cdk.out as
 * deployed: nothing here comes from the stack's source. Unknown shapes throw (naming the resource)
 * rather than being skipped, so a new kind of trigger cannot silently go untested.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Intrinsic = unknown;

export interface Resource {
  readonly Type: string;
  readonly Properties?: any;
}

export interface Template {
  readonly Resources: Record<string, Resource>;
  /** What `cdk deploy` prints and the scripts read (infra/outputs.ts). */
  readonly Outputs?: Record<string, { readonly Value: Intrinsic }>;
}

export interface FunctionSpec {
  readonly logicalId: string;
  /** The unpacked asset: cdk.out/asset.<hash>. */
  readonly bundleDir: string;
  /** `Handler` as written, e.g. index.handler. */
  readonly handler: string;
  readonly runtime: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Environment.Variables as written (intrinsics unresolved). */
  readonly environment: Readonly<Record<string, Intrinsic>>;
  /** LoggingConfig's LogFormat and ApplicationLogLevel, which Lambda passes as AWS_LAMBDA_LOG_FORMAT / _LEVEL. */
  readonly logFormat?: string;
  readonly logLevel?: string;
  /** Async invocation retries (AWS::Lambda::EventInvokeConfig; Lambda's default is 2). */
  readonly asyncRetries: number;
}

export interface RouteSpec {
  readonly routeKey: string;
  readonly method: string;
  readonly path: string;
  readonly authorizationType: string;
  readonly functionId: string;
}

export interface S3NotificationSpec {
  readonly bucketId: string;
  readonly events: readonly string[];
  readonly prefix?: string;
  readonly suffix?: string;
  readonly functionId: string;
}

export interface ScheduleSpec {
  readonly ruleId: string;
  readonly expression: string;
  readonly functionId: string;
}

export interface StreamConsumerSpec {
  /** The pipe or event source mapping. */
  readonly id: string;
  readonly kind: 'pipe-enrichment' | 'event-source-mapping';
  readonly tableId: string;
  readonly functionId: string;
  /** EventBridge-style patterns (JSON strings parsed); a record passes when any matches. None: all pass. */
  readonly filters: readonly unknown[];
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  readonly maximumRetryAttempts: number;
}

export interface TemplateModel {
  readonly template: Template;
  readonly functions: readonly FunctionSpec[];
  readonly routes: readonly RouteSpec[];
  readonly notifications: readonly S3NotificationSpec[];
  readonly schedules: readonly ScheduleSpec[];
  readonly streamConsumers: readonly StreamConsumerSpec[];
}

export class TemplateError extends Error {}

export const readTemplate = (file: string): Template => JSON.parse(readFileSync(file, 'utf8')) as Template;

const entries = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

/** A function referenced as { Ref: id } or { Fn::GetAtt: [id, 'Arn'] } (or an integration target string). */
function functionIdOf(t: Template, value: any, where: string): string {
  const id = value?.Ref ?? (Array.isArray(value?.['Fn::GetAtt']) && value['Fn::GetAtt'][1] === 'Arn' ? value['Fn::GetAtt'][0] : undefined);
  if (typeof id !== 'string' || t.Resources[id]?.Type !== 'AWS::Lambda::Function') {
    throw new TemplateError(`${where}: ${JSON.stringify(value)} does not name a Lambda function of the template`);
  }
  return id;
}

/** Zip assets built by CDK land in cdk.out as asset.<hash>/ next to the template; S3Key is <hash>.zip. */
function bundleDirOf(outdir: string, id: string, code: any): string | undefined {
  if (code?.ZipFile !== undefined) return undefined; // inline code: CDK's own Python custom-resource handlers
  const key = code?.S3Key;
  const m = typeof key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(key) : null;
  if (!m) throw new TemplateError(`${id}: Code.S3Key ${JSON.stringify(key)} is not a CDK zip asset`);
  const dir = join(outdir, `asset.${m[1]}`);
  if (!existsSync(dir)) throw new TemplateError(`${id}: asset directory ${dir} is missing (synthesized with bundling skipped?)`);
  return dir;
}

function functionsOf(t: Template, outdir: string): FunctionSpec[] {
  const retries = new Map<string, number>();
  for (const [id, r] of entries(t, 'AWS::Lambda::EventInvokeConfig')) {
    retries.set(functionIdOf(t, r.Properties.FunctionName, id), r.Properties.MaximumRetryAttempts ?? 2);
  }
  const out: FunctionSpec[] = [];
  for (const [id, r] of entries(t, 'AWS::Lambda::Function')) {
    const p = r.Properties ?? {};
    const bundleDir = bundleDirOf(outdir, id, p.Code);
    if (!bundleDir) continue;
    out.push({
      logicalId: id,
      bundleDir,
      handler: String(p.Handler),
      runtime: String(p.Runtime),
      memoryMb: p.MemorySize ?? 128,
      timeoutSeconds: p.Timeout ?? 3,
      environment: p.Environment?.Variables ?? {},
      asyncRetries: retries.get(id) ?? 2,
      ...(p.LoggingConfig?.LogFormat ? { logFormat: p.LoggingConfig.LogFormat } : {}),
      ...(p.LoggingConfig?.ApplicationLogLevel ? { logLevel: p.LoggingConfig.ApplicationLogLevel } : {}),
    });
  }
  return out;
}

function routesOf(t: Template): RouteSpec[] {
  return entries(t, 'AWS::ApiGatewayV2::Route').map(([id, r]) => {
    const target = r.Properties.Target;
    const parts = target?.['Fn::Join']?.[1];
    const integrationId = Array.isArray(parts) && parts[0] === 'integrations/' ? parts[1]?.Ref : undefined;
    const integration = integrationId ? t.Resources[integrationId] : undefined;
    if (integration?.Type !== 'AWS::ApiGatewayV2::Integration') throw new TemplateError(`${id}: target ${JSON.stringify(target)} is not an integration`);
    if (integration.Properties.IntegrationType !== 'AWS_PROXY' || integration.Properties.PayloadFormatVersion !== '2.0') {
      throw new TemplateError(`${integrationId}: only AWS_PROXY payload 2.0 integrations are emulated`);
    }
    const routeKey = String(r.Properties.RouteKey);
    const [method, path] = routeKey.split(' ') as [string, string];
    return {
      routeKey,
      method,
      path,
      authorizationType: r.Properties.AuthorizationType ?? 'NONE',
      functionId: functionIdOf(t, integration.Properties.IntegrationUri, integrationId),
    };
  });
}

function notificationsOf(t: Template): S3NotificationSpec[] {
  const out: S3NotificationSpec[] = [];
  const configs: [string, any, any][] = [];
  for (const [id, r] of entries(t, 'Custom::S3BucketNotifications')) configs.push([id, r.Properties.BucketName, r.Properties.NotificationConfiguration]);
  for (const [id, r] of entries(t, 'AWS::S3::Bucket')) {
    // Native form (-c localstack=true): lowerCamel-free CloudFormation names.
    const native = r.Properties?.NotificationConfiguration;
    if (native) configs.push([id, { Ref: id }, native]);
  }
  for (const [id, bucket, config] of configs) {
    if (config?.TopicConfigurations?.length || config?.QueueConfigurations?.length || config?.EventBridgeConfiguration) {
      throw new TemplateError(`${id}: only Lambda notifications are emulated`);
    }
    const bucketId = bucket?.Ref;
    if (typeof bucketId !== 'string') throw new TemplateError(`${id}: BucketName ${JSON.stringify(bucket)} is not a Ref`);
    for (const c of config?.LambdaFunctionConfigurations ?? config?.LambdaConfigurations ?? []) {
      const rules: any[] = c.Filter?.Key?.FilterRules ?? c.Filter?.S3Key?.Rules ?? [];
      const rule = (name: string) => rules.find((x) => String(x.Name).toLowerCase() === name)?.Value as string | undefined;
      const prefix = rule('prefix');
      const suffix = rule('suffix');
      out.push({
        bucketId,
        events: c.Events ?? [c.Event],
        ...(prefix !== undefined ? { prefix } : {}),
        ...(suffix !== undefined ? { suffix } : {}),
        functionId: functionIdOf(t, c.LambdaFunctionArn ?? c.Function, id),
      });
    }
  }
  return out;
}

function schedulesOf(t: Template): ScheduleSpec[] {
  const out: ScheduleSpec[] = [];
  for (const [id, r] of entries(t, 'AWS::Events::Rule')) {
    if (!r.Properties.ScheduleExpression) continue;
    if (r.Properties.State === 'DISABLED') continue;
    for (const target of r.Properties.Targets ?? []) out.push({ ruleId: id, expression: r.Properties.ScheduleExpression, functionId: functionIdOf(t, target.Arn, id) });
  }
  return out;
}

/** The table whose StreamArn a source names. */
function streamTableOf(t: Template, source: any, where: string): string {
  const att = source?.['Fn::GetAtt'];
  if (!Array.isArray(att) || att[1] !== 'StreamArn' || t.Resources[att[0]]?.Type !== 'AWS::DynamoDB::Table') {
    throw new TemplateError(`${where}: source ${JSON.stringify(source)} is not a DynamoDB table stream of the template`);
  }
  return att[0];
}

const patterns = (filters: any[] | undefined) => (filters ?? []).map((f) => JSON.parse(f.Pattern));

function streamConsumersOf(t: Template): StreamConsumerSpec[] {
  const out: StreamConsumerSpec[] = [];
  for (const [id, r] of entries(t, 'AWS::Pipes::Pipe')) {
    const p = r.Properties;
    const stream = p.SourceParameters?.DynamoDBStreamParameters;
    if (!stream) throw new TemplateError(`${id}: only DynamoDB stream pipes are emulated`);
    if (!p.Enrichment) throw new TemplateError(`${id}: a pipe without enrichment has no Lambda to run`);
    out.push({
      id,
      kind: 'pipe-enrichment',
      tableId: streamTableOf(t, p.Source, id),
      functionId: functionIdOf(t, p.Enrichment, id),
      filters: patterns(p.SourceParameters?.FilterCriteria?.Filters),
      batchSize: stream.BatchSize ?? 100,
      reportBatchItemFailures: false,
      maximumRetryAttempts: stream.MaximumRetryAttempts ?? 3,
    });
  }
  for (const [id, r] of entries(t, 'AWS::Lambda::EventSourceMapping')) {
    const p = r.Properties;
    out.push({
      id,
      kind: 'event-source-mapping',
      tableId: streamTableOf(t, p.EventSourceArn, id),
      functionId: functionIdOf(t, p.FunctionName, id),
      filters: patterns(p.FilterCriteria?.Filters),
      batchSize: p.BatchSize ?? 100,
      reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      maximumRetryAttempts: p.MaximumRetryAttempts ?? 3,
    });
  }
  return out;
}

export function modelOf(template: Template, outdir: string): TemplateModel {
  return {
    template,
    functions: functionsOf(template, outdir),
    routes: routesOf(template),
    notifications: notificationsOf(template),
    schedules: schedulesOf(template),
    streamConsumers: streamConsumersOf(template),
  };
}

/** The partition (and sort) key names of a table resource. */
export function keySchemaOf(template: Template, tableId: string): string[] {
  const schema = template.Resources[tableId]?.Properties?.KeySchema as { AttributeName: string }[] | undefined;
  if (!schema) throw new TemplateError(`${tableId}: no KeySchema`);
  return schema.map((k) => k.AttributeName);
}
