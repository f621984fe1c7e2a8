/**
 * The Blob front (-c azureUploads=blob-front, issue 23): a CloudFront distribution that speaks enough
 * of the Azure Blob protocol for the official Azure clients to upload into a lease's container, with no
 * Lambda in the data path. CloudFront Functions verify the container SAS and map Blob calls onto the
 * upload bucket under tmp/ (infra/blob-front/*.js); Origin Access Control signs what they let through.
 */
import { Annotations, Names, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLevel,
  AllowedMethods,
  CachedMethods,
  CachePolicy,
  Distribution,
  FunctionEventType,
  HttpVersion,
  KeyValueStore,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  PriceClass,
  S3OriginAccessControl,
  Signing,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Effect, type Grant, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TEMP_PREFIX } from '../shared/lease/keys.js';
import { BlobFrontKey } from './blob-front-key.js';
import { frontFunction } from './blob-front-functions.js';
import { frontLogBucket } from './blob-front-logs.js';
import { acknowledge } from './nag.js';

/** Viewer headers S3 needs for Put Blob (integrity, type, conditional create); no query, no cookies. */
export const FORWARDED_HEADERS = ['content-md5', 'content-type', 'if-none-match', 'if-match'] as const;

/** What the functions let through: HEAD/GET (Get Blob [Properties]) and PUT (Put Blob). */
export const ORIGIN_ACTIONS = Object.freeze({ objects: ['s3:GetObject', 's3:PutObject'], bucket: ['s3:ListBucket'] });

export interface BlobFrontProps {
  /** The upload bucket (the origin). */
  readonly bucket: Bucket;
  /** The upload bucket's server-access-log bucket: the front's log bucket logs into it. */
  readonly accessLogs: Bucket;
  readonly accessLogExpirationDays: number;
  /** Per-blob limit the front enforces (MAX_UPLOAD_BYTES). */
  readonly maxBlobBytes: number;
  readonly keyRotation: string;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly retain: boolean;
}

export class BlobFront extends Construct {
  readonly distribution: Distribution;
  readonly store: KeyValueStore;
  readonly key: BlobFrontKey;

  constructor(scope: Construct, id: string, props: BlobFrontProps) {
    super(scope, id);
    this.store = new KeyValueStore(this, 'Store', { keyValueStoreName: this.globalName('Store'), comment: 'Blob front: SAS signing key and per-blob size limit' });
    this.key = new BlobFrontKey(this, 'SigningKey', {
      store: this.store,
      maxBlobBytes: props.maxBlobBytes,
      rotation: props.keyRotation,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Blob front of the upload-lease broker (Azure Blob protocol over the upload bucket)',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.originBucket(props.bucket), {
          originAccessControl: new S3OriginAccessControl(this, 'OriginAccessControl', {
            originAccessControlName: this.globalName('OriginAccessControl'),
            description: 'Blob front: CloudFront signs every request to the upload bucket (SigV4)',
            signing: Signing.SIGV4_ALWAYS,
          }),
          // What allowOriginAccess grants (CDK itself writes no statement for a by-attributes bucket). LIST: without
          // s3:ListBucket, S3 answers a HEAD of a missing blob 403, which azure-ai-ml takes as a failure (it needs 404).
          originAccessLevels: [AccessLevel.READ, AccessLevel.WRITE, AccessLevel.LIST],
        }),
        // HEAD, GET and PUT are needed; CloudFront offers them only as "all". The viewer-request function refuses the rest.
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachedMethods: CachedMethods.CACHE_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: new OriginRequestPolicy(this, 'PutBlobHeaders', {
          originRequestPolicyName: this.globalName('PutBlobHeaders'),
          comment: 'Blob front: the viewer headers S3 needs for Put Blob, no query string, no cookies',
          headerBehavior: OriginRequestHeaderBehavior.allowList(...FORWARDED_HEADERS),
          queryStringBehavior: OriginRequestQueryStringBehavior.none(),
          cookieBehavior: OriginRequestCookieBehavior.none(),
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        compress: false,
        functionAssociations: [FunctionEventType.VIEWER_REQUEST, FunctionEventType.VIEWER_RESPONSE].map((eventType) => ({
          eventType,
          function: frontFunction(this, eventType, this.store),
        })),
      },
      httpVersion: HttpVersion.HTTP2,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: frontLogBucket(this, 'AccessLogs', { serverAccessLogs: props.accessLogs, expirationDays: props.accessLogExpirationDays, retain: props.retain }),
      logFilePrefix: 'blob-front/',
    });
    // Never serving with an empty store (the functions would answer 500 InternalError until the copy ran).
    this.distribution.node.addDependency(this.key.copy);
    this.allowOriginAccess(props.bucket);
    this.acknowledgeFindings();
  }

  /**
   * CloudFront names are unique per account across regions: the region goes first, so the same stack
   * name can be deployed in two regions of one account (CDK does the same for CloudFront Functions).
   */
  private globalName(id: string): string {
    // At most 14 (region) + 1 + 48 characters: within the 64 CloudFront allows for these names.
    return `${Stack.of(this).region}-${Names.uniqueResourceName(this, { maxLength: 48 - id.length })}${id}`;
  }

  /** `https://<id>.cloudfront.net`, no path: the base of every container SAS URI. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /** The Azure API Lambda's environment in this mode (shared/config.ts reads it). */
  get azureEnvironment(): Readonly<Record<string, string>> {
    return { AZURE_UPLOADS: 'blob-front', BLOB_FRONT_URL: this.url, BLOB_FRONT_KEY_SECRET_ARN: this.key.secret.secretArn };
  }

  grantMintContainerSas(grantee: IGrantable): Grant {
    return this.key.grantMintContainerSas(grantee);
  }

  /**
   * The origin as a by-attributes reference, so CDK leaves the bucket policy to allowOriginAccess: its
   * own statement would cover every object (files/ included), where the front only ever maps onto tmp/.
   */
  private originBucket(bucket: Bucket) {
    const origin = Bucket.fromBucketAttributes(this, 'Origin', {
      bucketArn: bucket.bucketArn,
      bucketName: bucket.bucketName,
      bucketRegionalDomainName: bucket.bucketRegionalDomainName,
    });
    Annotations.of(this).acknowledgeWarning(
      '@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
      'BlobFront adds the OAC statements to the upload bucket policy itself, scoped to tmp/* (allowOriginAccess).',
    );
    Annotations.of(this).acknowledgeWarning(
      '@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk',
      'ListBucket makes a HEAD of a missing blob 404; the viewer-request function forwards only HEAD/GET/PUT of a blob under the SAS-verified container, never a bucket listing.',
    );
    return origin;
  }

  /** OAC: this distribution only (AWS:SourceArn), objects under tmp/ only; ListBucket for 404s. */
  private allowOriginAccess(bucket: Bucket): void {
    const principals = [new ServicePrincipal('cloudfront.amazonaws.com')];
    const conditions = { StringEquals: { 'AWS:SourceArn': this.distribution.distributionArn } };
    bucket.addToResourcePolicy(
      new PolicyStatement({ sid: 'BlobFrontObjects', effect: Effect.ALLOW, principals, actions: [...ORIGIN_ACTIONS.objects], resources: [bucket.arnForObjects(`${TEMP_PREFIX}*`)], conditions }),
    );
    bucket.addToResourcePolicy(
      new PolicyStatement({ sid: 'BlobFrontMissingIs404', effect: Effect.ALLOW, principals, actions: [...ORIGIN_ACTIONS.bucket], resources: [bucket.bucketArn], conditions }),
    );
  }

  private acknowledgeFindings(): void {
    const d = this.distribution;
    acknowledge(d, 'AwsSolutions-CFR1', 'Uploads come from wherever Azure ML users run; every request is authenticated by the front itself (container SAS, HMAC-SHA256, expiry), so a geo restriction adds no protection.');
    acknowledge(d, 'AwsSolutions-CFR2', 'Every request is authenticated by the viewer-request function before it reaches S3 and nothing is cached; WAF (rate-based rules) stays an optional add-on, at a per-request cost.');
    acknowledge(
      d,
      'AwsSolutions-CFR4',
      'The SAS URIs name the distribution\'s own *.cloudfront.net host, whose default certificate CloudFront serves with its fixed TLSv1 policy; TLSv1.2_2021 needs a custom domain and ACM certificate, which this stack does not assume.',
    );
  }
}
