/**
 * The stack as synthesized, run as written: every function of a cdk.out template in child processes
 * (its asset, Handler, runtime, memory, timeout and exactly its environment), behind its triggers
 * (HTTP API routes, S3 notifications, the schedule, the table stream's pipe and event source mapping),
 * with the local mode's emulators standing in for S3 and DynamoDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { LOCAL_CREDENTIALS, startEmulators, type Emulators } from '../../../local/emulators.js';
import { resolveEnvironment, resolveIntrinsic, type EmulatedResource, type ResolveContext } from './environment.js';
import { FunctionPool, InvocationError } from './invoke.js';
import { startStreamProxy, type StreamProxy } from './dynamo-stream.js';
import { startTemplateGateway, type TemplateGateway } from './gateway.js';
import { s3Notifier, type S3Notifier } from './s3-notifications.js';
import { streamConsumers, type StreamConsumers } from './stream-consumers.js';
import { keySchemaOf, modelOf, readTemplate, TemplateError, type FunctionSpec, type Intrinsic, type Template, type TemplateModel } from './template.js';

export const REGION = 'eu-west-1';
export const ACCOUNT_ID = '000000000000';
const BUCKET = 'ulb-template-run';
const TABLE = 'ulb-template-run-leases';
/** Lambda's execution-role credentials, as the runtime puts them in the environment; the emulators accept these. */
const SESSION_TOKEN = 'template-run-session';

export interface TemplateRunOptions {
  /** The cdk.out directory the assets are in. */
  readonly outdir: string;
  /** The template, possibly a modified copy of `<outdir>/<stack>.template.json`. */
  readonly template: Template;
  readonly stackName: string;
  /** Extra logical id -> emulated resource entries (e.g. a KMS key's emulator). */
  readonly resources?: Readonly<Record<string, EmulatedResource>>;
  /** Extra endpoint overrides for the children (AWS_ENDPOINT_URL_<SERVICE>, e.g. KMS's emulator). */
  readonly endpoints?: Readonly<Record<`AWS_ENDPOINT_URL_${string}`, string>>;
  /** A PEM file of certificates the children trust besides the public ones (NODE_EXTRA_CA_CERTS): the test's https issuer. */
  readonly trustRoot?: string;
}

export interface TemplateRun {
  readonly url: string;
  readonly model: TemplateModel;
  readonly emulators: Emulators;
  readonly bucket: string;
  readonly table: string;
  /** Where the functions reach DynamoDB (the stream proxy): a write here is on the table's stream, as any write in AWS. */
  readonly dynamoEndpoint: string;
  /** The environment each child gets, by logical id. */
  readonly environments: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly notifications: S3Notifier;
  readonly stream: StreamConsumers;
  readonly gateway: TemplateGateway;
  readonly pools: ReadonlyMap<string, FunctionPool>;
  invoke(functionId: string, event: unknown): Promise<unknown>;
  /** A template value (an Output's, say) resolved as the functions' environment is; unresolvable ones throw. */
  resolve(value: Intrinsic): string;
  /** Fires every schedule's targets once (EventBridge's scheduled event), returning their results. */
  runSchedules(): Promise<{ ruleId: string; functionId: string; result: unknown }[]>;
  /** Until every S3 event and stream record so far is handled (each stage can feed the other). */
  settled(): Promise<void>;
  /** Everything that went wrong, one line each: failed invocations, parked records, proxy errors. */
  problems(): string[];
  close(): Promise<void>;
}

/** Ref/GetAtt values of the resources the emulators stand for. */
function emulatedResources(template: Template, model: TemplateModel): Record<string, EmulatedResource> {
  const out: Record<string, EmulatedResource> = {};
  const tables = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new TemplateError(`expected one DynamoDB table, found ${tables.length}`);
  const tableArn = `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${TABLE}`;
  out[tables[0]![0]] = { ref: TABLE, attributes: { Arn: tableArn, StreamArn: `${tableArn}/stream/template-run` } };
  const bucketIds = new Set(model.notifications.map((n) => n.bucketId));
  if (bucketIds.size !== 1) throw new TemplateError(`expected one notifying bucket, found ${[...bucketIds].join(', ') || 'none'}`);
  const [bucketId] = bucketIds;
  out[bucketId!] = { ref: BUCKET, attributes: { Arn: `arn:aws:s3:::${BUCKET}`, DomainName: `${BUCKET}.s3.amazonaws.com` } };
  return out;
}

/**
 * What Lambda adds to a function's own variables, plus endpoint overrides and the test's trust root.
 * The bundles construct their SDK clients with no endpoint (in AWS they resolve the regional one); the
 * SDK's standard AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB variables point those unchanged
 * clients at the embedded S3 and at the stream proxy in front of dynalite, and AWS_ENDPOINT_URL_KMS
 * (auth=contracts) at the KMS emulator (kms.ts). NODE_EXTRA_CA_CERTS (auth=contracts) makes the test
 * issuer's self-signed certificate trusted (tls-issuer.ts), as a public CA's is in AWS; the children's
 * TLS still verifies. Nothing else is added: a variable the template lacks is missing in the child too.
 */
function lambdaEnvironment(fn: FunctionSpec, stackName: string, endpoints: Record<string, string>): Record<string, string> {
  const name = `${stackName}-${fn.logicalId}`;
  return {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'template-run',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    ...(fn.logFormat ? { AWS_LAMBDA_LOG_FORMAT: fn.logFormat } : {}),
    ...(fn.logLevel ? { AWS_LAMBDA_LOG_LEVEL: fn.logLevel } : {}),
    _HANDLER: fn.handler,
    LAMBDA_TASK_ROOT: fn.bundleDir,
    LAMBDA_RUNTIME_DIR: dirname(process.execPath),
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    ...endpoints,
  };
}

const scheduledEvent = (ruleId: string) => ({
  version: '0',
  id: crypto.randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT_ID,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/${ruleId}`],
  detail: {},
});

export async function startTemplateRun(options: TemplateRunOptions): Promise<TemplateRun> {
  const { template } = options;
  const model = modelOf(template, options.outdir);
  const resources = { ...emulatedResources(template, model), ...options.resources };
  const ctx: ResolveContext = { resources, region: REGION, accountId: ACCOUNT_ID, stackName: options.stackName };
  // Resolve every function's environment before starting anything: an unresolvable one fails the run here.
  const own = Object.fromEntries(model.functions.map((fn) => [fn.logicalId, resolveEnvironment(fn.logicalId, fn.environment, ctx)]));
  const tableId = Object.keys(resources).find((id) => template.Resources[id]?.Type === 'AWS::DynamoDB::Table')!;
  const bucketId = Object.keys(resources).find((id) => template.Resources[id]?.Type === 'AWS::S3::Bucket')!;

  const dataDir = mkdtempSync(join(tmpdir(), 'ulb-template-run-'));
  const pools = new Map<string, FunctionPool>();
  let notifier: S3Notifier | undefined;
  const emulators = await startEmulators({
    dataDir,
    bucket: BUCKET,
    table: TABLE,
    region: REGION,
    onObjectCreated: (event) => notifier!.onObjectCreated(event),
  });
  let proxy: StreamProxy | undefined;
  let gateway: TemplateGateway | undefined;
  const closeAll = async () => {
    await gateway?.close();
    await Promise.all([...pools.values()].map((p) => p.close()));
    await proxy?.close();
    await emulators.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const invoke = (functionId: string, event: unknown) => {
      const pool = pools.get(functionId);
      if (!pool) throw new TemplateError(`${functionId} is not a function of the template with a bundle`);
      return pool.invoke(event);
    };
    const invokeAsync = async (functionId: string, event: unknown) => {
      const retries = pools.get(functionId)!.spec.asyncRetries;
      for (let attempt = 0; ; attempt++) {
        try {
          await invoke(functionId, event);
          return;
        } catch (error) {
          if (attempt >= retries) throw error;
        }
      }
    };
    notifier = s3Notifier(model.notifications, (name) => (name === BUCKET ? bucketId : undefined), invokeAsync);
    const pipeTarget = (id: string) => {
      const t = template.Resources[id]?.Properties?.TargetParameters;
      return {
        source: t?.EventBridgeEventBusParameters?.Source,
        detailType: t?.EventBridgeEventBusParameters?.DetailType,
        time: t?.EventBridgeEventBusParameters?.Time,
        inputTemplate: t?.InputTemplate,
      };
    };
    const stream = streamConsumers(model.streamConsumers.filter((c) => c.tableId === tableId), invoke, pipeTarget);
    proxy = await startStreamProxy({
      dynamoEndpoint: emulators.dynamoEndpoint,
      tableName: TABLE,
      tableArn: resources[tableId]!.attributes!.Arn!,
      keyNames: keySchemaOf(template, tableId),
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      onRecord: (record: DynamoDBRecord) => stream.push(record),
    });
    for (const name of Object.keys(options.endpoints ?? {})) {
      if (!/^AWS_ENDPOINT_URL_[A-Z0-9_]+$/.test(name)) throw new TemplateError(`endpoints: ${name} is not an AWS_ENDPOINT_URL_<SERVICE> override`);
    }
    const endpoints = {
      AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: proxy.url,
      ...options.endpoints,
      ...(options.trustRoot ? { NODE_EXTRA_CA_CERTS: options.trustRoot } : {}),
    };
    const environments: Record<string, Record<string, string>> = {};
    for (const fn of model.functions) {
      environments[fn.logicalId] = { ...lambdaEnvironment(fn, options.stackName, endpoints), ...own[fn.logicalId] };
      pools.set(fn.logicalId, new FunctionPool(fn, environments[fn.logicalId]!));
    }
    gateway = await startTemplateGateway(model.routes, invoke);
    const settled = async () => {
      for (let round = 0; round < 3; round++) {
        await emulators.eventsSettled();
        await stream.drain();
      }
    };
    const usedProxy = proxy;
    const usedGateway = gateway;
    return {
      url: gateway.url,
      model,
      emulators,
      bucket: BUCKET,
      table: TABLE,
      dynamoEndpoint: proxy.url,
      environments,
      notifications: notifier,
      stream,
      gateway,
      pools,
      invoke,
      resolve: (value) => resolveIntrinsic(value, ctx),
      async runSchedules() {
        return Promise.all(
          model.schedules.map(async (s) => ({ ruleId: s.ruleId, functionId: s.functionId, result: await invoke(s.functionId, scheduledEvent(s.ruleId)) })),
        );
      },
      settled,
      problems() {
        const failed = [...pools.values()].flatMap((p) => p.invocations.filter((i) => !i.ok).map((i) => `invocation failed: ${i.errorMessage}`));
        return [
          ...new Set([
            ...failed,
            ...usedGateway.failures.map((f) => `${f.routeKey} answered 500: ${f.error}`),
            ...notifier!.failed.map((f) => `S3 notification of ${f.key} to ${f.functionId} failed: ${f.error}`),
            ...stream.parked.map((p) => `stream record ${p.eventID} parked by ${p.consumer}: ${p.error}`),
            ...usedProxy.errors,
          ]),
        ];
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

export { InvocationError, readTemplate };
