/**
 * BrokerFunction: every broker Lambda's defaults in one place (runtime, architecture, ESM bundle with
 * the pinned SDK, source maps, JSON logs into a dedicated log group with retention, its own role with
 * nothing but write access to that log group). Resource access is granted next to the resources
 * (LeaseTable, UploadBucket), never with managed policies.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { AssetHashType, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime, SystemLogLevel, type IDestination } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { SURFACES, type Surface } from '../shared/api/operation.js';
import { copyLambdaBundle } from './bundle-cache.js';
import { BUNDLE_MODULE } from './bundling.js';

/** Folder names under lambdas/: one per API surface, plus the S3 event, sweep and lease-stream Lambdas. */
export type BrokerLambdaName = Surface | 's3-upload-events' | 'retention-sweep' | 'lease-settler' | 'lease-events';

export const BROKER_LAMBDAS: readonly BrokerLambdaName[] = [...SURFACES, 's3-upload-events', 'retention-sweep', 'lease-settler', 'lease-events'];

/** Lambdas outside the broker's own set: the Blob front's deploy-time key copy (infra/blob-front-key.ts). */
export type HelperLambdaName = 'blob-front-key';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const BROKER_RUNTIME = Runtime.NODEJS_24_X;
export const BROKER_ARCHITECTURE = Architecture.ARM_64;

export interface BrokerFunctionProps {
  readonly lambda: BrokerLambdaName | HelperLambdaName;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  /** Applies to the log group; the function itself is always replaceable. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** @default 10 seconds (API Lambdas must answer well inside API Gateway's 30 s). */
  readonly timeout?: Duration;
  /** @default 512 MB (more CPU for cold starts of the bundled SDK). */
  readonly memorySize?: number;
  /** Asynchronous invocations only. */
  readonly retryAttempts?: number;
  readonly onFailure?: IDestination;
  readonly maxEventAge?: Duration;
}

/**
 * lambdas/<name> as a deployment package: CDK's local bundling step copies the bundle
 * infra/bundle-cache.ts keeps (built once per content), so a synth of an unchanged Lambda runs no
 * esbuild. The asset hash is the hash of the bundle's files, as with NodejsFunction: only a Lambda
 * whose bundle changed is uploaded and updated. `aws:cdk:bundling-stacks` skips the step as it would
 * NodejsFunction's.
 */
export function lambdaCode(name: BrokerLambdaName | HelperLambdaName): Code {
  return Code.fromAsset(join(REPO_ROOT, 'lambdas', name), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      local: {
        tryBundle: (outputDir) => {
          copyLambdaBundle(name, outputDir);
          return true;
        },
      },
      // Never used: local bundling always succeeds or throws, and build machines have no Docker.
      image: BROKER_RUNTIME.bundlingImage,
    },
  });
}

export class BrokerFunction extends LambdaFunction {
  /** The lambdas/ folder it is bundled from. */
  readonly lambda: BrokerLambdaName | HelperLambdaName;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.lambda} Lambda`,
    });
    super(scope, id, {
      code: lambdaCode(props.lambda),
      handler: `${BUNDLE_MODULE}.handler`,
      description: props.description,
      runtime: BROKER_RUNTIME,
      architecture: BROKER_ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      ...(props.retryAttempts !== undefined ? { retryAttempts: props.retryAttempts } : {}),
      ...(props.onFailure ? { onFailure: props.onFailure } : {}),
      ...(props.maxEventAge ? { maxEventAge: props.maxEventAge } : {}),
    });
    // Exactly what the runtime needs to ship logs: no logs:CreateLogGroup, no other log group.
    logGroup.grantWrite(role);
    this.lambda = props.lambda;
  }
}
