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
  type CorsPreflightOptions,
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
import { HTTP_API_DESCRIPTION } from './api-descriptions.js';
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

/**
 * Every method a route uses, so a browser may call each operation. No OPTIONS: with CORS configured,
 * API Gateway answers preflight requests itself.
 */
const CORS_METHODS: CorsHttpMethod[] = [...new Set(OPERATIONS.map((op) => op.method))]
  .sort()
  .map((method) => CorsHttpMethod[method]);

type Operation = (typeof OPERATIONS)[number];

/**
 * The browser origins the deployment names may call every operation; undefined when it names none
 * (no CORS configuration at all).
 */
function corsPreflightFor(settings: BrokerApiProps['settings']): CorsPreflightOptions | undefined {
  if (!settings.corsAllowedOrigins.length) return undefined;
  return {
    allowOrigins: [...settings.corsAllowedOrigins],
    allowMethods: CORS_METHODS,
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
  };
}

/** One integration per surface, made when its first route needs it and shared by the surface's other routes. */
function integrationsPerSurface(handlers: BrokerApiProps['handlers']): (surface: Surface) => HttpLambdaIntegration {
  const integrations = new Map<Surface, HttpLambdaIntegration>();
  return (surface) => {
    let integration = integrations.get(surface);
    if (!integration) {
      integration = new HttpLambdaIntegration(`${surface}-integration`, handlers[surface], {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      });
      integrations.set(surface, integration);
    }
    return integration;
  };
}

/** Why cdk-nag's "route without authorizer" does not apply: a public operation, or auth=contracts. */
function acknowledgeRouteAuth(httpRoute: HttpRoute, route: Operation, auth: BrokerSettings['auth']): void {
  if (route.auth === 'public') {
    acknowledge(httpRoute, 'AwsSolutions-APIG4', `${route.id} is declared public in the operation registry: it serves no tenant's data.`);
  } else if (auth === 'contracts') {
    acknowledge(
      httpRoute,
      'AwsSolutions-APIG4',
      'auth=contracts: the route\'s Lambda authenticates the contract\'s own scheme (ACS3-HMAC-SHA256 or a bearer JWT) before anything else, so refusals keep the contract\'s error format.',
    );
  }
}

/** HttpStage has no per-route throttling; the stage resource does (RouteSettings by route key). */
function throttleRoutes(stage: HttpStage, routeThrottle: BrokerSettings['routeThrottle']): void {
  const routeSettings = Object.fromEntries(
    OPERATIONS.filter((r) => routeThrottle[r.id]).map((r) => [
      routeKey(r),
      { ThrottlingRateLimit: routeThrottle[r.id]!.rateLimit, ThrottlingBurstLimit: routeThrottle[r.id]!.burstLimit },
    ]),
  );
  if (Object.keys(routeSettings).length) (stage.node.defaultChild as CfnStage).addPropertyOverride('RouteSettings', routeSettings);
}

/**
 * The helpers below create their constructs with this construct as scope and the ids they always had:
 * logical ids derive from construct paths.
 */
export class BrokerApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: BrokerApiProps) {
    super(scope, id);
    const { settings } = props;
    const authorizer = authorizerFor(settings);
    const corsPreflight = corsPreflightFor(settings);

    this.api = new HttpApi(this, 'HttpApi', {
      description: HTTP_API_DESCRIPTION,
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      ...(corsPreflight ? { corsPreflight } : {}),
    });
    this.routes = this.addRoutes(props.handlers, authorizer, settings.auth);
    this.stage = this.defaultStage(settings);
    throttleRoutes(this.stage, settings.routeThrottle);
  }

  get url(): string {
    return this.stage.url;
  }

  /** One route per operation, in registry order, behind the configured authorizer unless declared public. */
  private addRoutes(handlers: BrokerApiProps['handlers'], authorizer: IHttpRouteAuthorizer, auth: BrokerSettings['auth']): HttpRoute[] {
    const integrationFor = integrationsPerSurface(handlers);
    return OPERATIONS.map((route) => {
      const httpRoute = new HttpRoute(this, route.id, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: integrationFor(route.surface),
        // A public operation (said so in the registry) is the only kind without the configured authorizer.
        authorizer: route.auth === 'public' ? new HttpNoneAuthorizer() : authorizer,
      });
      acknowledgeRouteAuth(httpRoute, route, auth);
      return httpRoute;
    });
  }

  /** The $default stage: deployed on every change, throttled, with JSON access logs. */
  private defaultStage(settings: BrokerApiProps['settings']): HttpStage {
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    return new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.throttle.rateLimit, burstLimit: settings.throttle.burstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
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
