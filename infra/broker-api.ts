/**
 * The HTTP API: one route per entry of OPERATIONS (method and path verbatim), each integrated with its
 * Lambda (payload format 2.0) and each behind the configured authorizer (SigV4/IAM or JWT). The
 * $default stage is throttled and writes JSON access logs.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpNoneAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routeKey, OPERATIONS } from '../shared/contracts/registry.js';
import { acknowledge } from './nag.js';
import type { Surface } from '../shared/api/operation.js';
import type { BrokerSettings } from './settings.js';

export interface BrokerApiProps {
  readonly handlers: Readonly<Record<Surface, IFunction>>;
  readonly settings: Pick<
    BrokerSettings,
    'auth' | 'jwt' | 'throttle' | 'routeThrottle' | 'corsAllowedOrigins' | 'logRetention' | 'deletionProtection'
  >;
}

/** One JSON object per request; the IAM caller or JWT subject identifies who asked. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    callerArn: '$context.identity.userArn',
    jwtSubject: '$context.authorizer.claims.sub',
  }),
);

export class BrokerApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: BrokerApiProps) {
    super(scope, id);
    const { settings } = props;
    const authorizer = authorizerFor(settings);

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Upload-lease broker (Azure ML startPendingUpload, Alibaba ApplyFileUploadLease, lease status)',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      ...(settings.corsAllowedOrigins.length
        ? {
            corsPreflight: {
              allowOrigins: [...settings.corsAllowedOrigins],
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST],
              allowHeaders: [
                'authorization',
                'content-type',
                'x-amz-date',
                'x-amz-security-token',
                'x-amz-content-sha256',
                ...(settings.auth === 'contracts' ? ['x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'x-acs-action', 'x-acs-version'] : []),
              ],
              exposeHeaders: ['x-lease-id'],
              maxAge: Duration.minutes(10),
            },
          }
        : {}),
    });

    const integrations = new Map<Surface, HttpLambdaIntegration>();
    const integrationFor = (lambda: Surface) => {
      let integration = integrations.get(lambda);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${lambda}-integration`, props.handlers[lambda], {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(lambda, integration);
      }
      return integration;
    };
    this.routes = OPERATIONS.map((route) => {
      const httpRoute = new HttpRoute(this, route.id, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: integrationFor(route.surface),
        // A public operation (said so in the registry) is the only kind without the configured authorizer.
        authorizer: route.auth === 'public' ? new HttpNoneAuthorizer() : authorizer,
      });
      if (route.auth === 'public') {
        acknowledge(httpRoute, 'AwsSolutions-APIG4', `${route.id} is declared public in the operation registry: it serves no tenant's data.`);
      } else if (settings.auth === 'contracts') {
        acknowledge(
          httpRoute,
          'AwsSolutions-APIG4',
          'auth=contracts: the route\'s Lambda authenticates the contract\'s own scheme (ACS3-HMAC-SHA256 or a bearer JWT) before anything else, so refusals keep the contract\'s error format.',
        );
      }
      return httpRoute;
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.throttle.rateLimit, burstLimit: settings.throttle.burstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    // HttpStage has no per-route throttling; the stage resource does (RouteSettings by route key).
    const routeSettings = Object.fromEntries(
      OPERATIONS.filter((r) => settings.routeThrottle[r.id]).map((r) => [
        routeKey(r),
        { ThrottlingRateLimit: settings.routeThrottle[r.id]!.rateLimit, ThrottlingBurstLimit: settings.routeThrottle[r.id]!.burstLimit },
      ]),
    );
    if (Object.keys(routeSettings).length) (this.stage.node.defaultChild as CfnStage).addPropertyOverride('RouteSettings', routeSettings);
  }

  get url(): string {
    return this.stage.url;
  }
}

function authorizerFor(settings: BrokerApiProps['settings']): IHttpRouteAuthorizer {
  if (settings.auth === 'iam') return new HttpIamAuthorizer();
  // The Lambdas authenticate each contract's own scheme (shared/auth/): an API Gateway authorizer would
  // answer refusals with its own {"message":"Unauthorized"}, not the contract's error format.
  if (settings.auth === 'contracts') return new HttpNoneAuthorizer();
  if (!settings.jwt) throw new Error('auth=jwt without issuer/audience');
  return new HttpJwtAuthorizer('JwtAuthorizer', settings.jwt.issuer, {
    jwtAudience: [...settings.jwt.audience],
    identitySource: ['$request.header.Authorization'],
  });
}
