/**
 * The upload bucket (private, TLS-only, SSE-S3 so a single-part ETag stays the MD5, unversioned
 * temporary files with lifecycle backstops), its server-access-log bucket, the ObjectCreated wiring
 * to the S3 event Lambda, and grants scoped to the temporary prefix.
 */
import { Aws, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Grant, PolicyDocument, PolicyStatement, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  HttpMethods,
  ObjectOwnership,
  type BucketProps,
  type CfnBucket,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { TEMP_PREFIX } from '../shared/lease/keys.js';
import { STORED_PREFIX } from '../shared/lease/model.js';
import { LIFECYCLE } from './lifecycle.js';
import { acknowledge } from './nag.js';

/** Logical id of CDK's singleton handler behind Custom::S3BucketNotifications (aws-s3). */
export const CDK_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

export interface UploadBucketProps {
  readonly deletionProtection: boolean;
  /** No CDK custom resources (LocalStack community has none): native notification configuration. */
  readonly localstack: boolean;
  readonly corsAllowedOrigins: readonly string[];
  /** Lifecycle backstop for tmp/, derived from the retention (infra/lifecycle.ts). */
  readonly tempObjectExpirationDays: number;
  readonly accessLogExpirationDays: number;
  readonly logRetention: RetentionDays;
}

export class UploadBucket extends Construct {
  /** The bucket resource. */
  readonly bucket: Bucket;
  /** What Lambdas and grants reference: the bucket itself, or in LocalStack mode a by-name reference. */
  readonly ref: IBucket;
  readonly accessLogs: Bucket;
  private readonly props: UploadBucketProps;
  private readonly notificationsHandlerPolicy = new PolicyDocument();

  constructor(scope: Construct, id: string, props: UploadBucketProps) {
    super(scope, id);
    this.props = props;
    const common = commonBucketProps(props);

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...common,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogExpirationDays) }],
    });
    // cdk-nag treats a server-access-log destination as compliant with S1: nothing to acknowledge.

    const bucketName = props.localstack ? localstackBucketName(Stack.of(this).stackName) : undefined;
    this.bucket = new Bucket(this, 'Bucket', {
      ...common,
      ...(bucketName ? { bucketName } : {}),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'uploads/',
      cors: props.corsAllowedOrigins.length
        ? [
            {
              allowedMethods: [HttpMethods.PUT],
              allowedOrigins: [...props.corsAllowedOrigins],
              // The headers a lease signs (Content-Length is set by the browser itself).
              allowedHeaders: ['content-type', 'content-md5'],
              exposedHeaders: ['etag'],
              maxAge: 3000,
            },
          ]
        : undefined,
      lifecycleRules: [
        {
          id: 'expire-temporary-uploads',
          prefix: TEMP_PREFIX,
          expiration: Duration.days(props.tempObjectExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(LIFECYCLE.abortIncompleteMultipartDays),
        },
      ],
      ...(props.localstack ? {} : { notificationsHandlerRole: this.notificationsHandlerRole() }),
    });
    // In LocalStack mode the Lambdas must not reference the bucket resource (the bucket's native
    // notification configuration references them); a by-name reference breaks that cycle.
    this.ref = bucketName ? Bucket.fromBucketName(this, 'ByName', bucketName) : this.bucket;
  }

  get bucketName(): string {
    return this.ref.bucketName;
  }

  /** Lease Lambdas sign PUT URLs with their own credentials: PutObject on the temporary prefix only. */
  grantPutTempObjects(grantee: IGrantable): Grant {
    return this.grantOnTempObjects(grantee, 's3:PutObject');
  }

  /**
   * The S3 event Lambda: HeadObject (s3:GetObject) and DeleteObject on the temporary prefix, and
   * s3:ListBucket on this bucket so HeadObject of an object deleted meanwhile answers 404 (which the
   * handler treats as "superseded") instead of 403.
   */
  grantInspectTempObjects(grantee: IGrantable): Grant {
    const objects = this.grantOnTempObjects(grantee, 's3:GetObject', 's3:DeleteObject');
    return objects.combine(Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.ref.bucketArn] }));
  }

  /**
   * Consumers verify a PENDING lease's upload on the spot (lease/uploads.ts verifyUploadNow), with
   * presigned requests: the same HEAD (404 thanks to ListBucket) and delete of a rejected object as the
   * S3 event Lambda, signed by their own role.
   */
  grantVerifyUploads(grantee: IGrantable): Grant {
    return this.grantInspectTempObjects(grantee);
  }

  /** The retention sweep deletes temporary objects. */
  grantDeleteTempObjects(grantee: IGrantable): Grant {
    return this.grantOnTempObjects(grantee, 's3:DeleteObject');
  }

  /** Download URLs (GET /leases/{leaseId}) are signed for temporary and consumed objects. */
  grantReadLeaseObjects(grantee: IGrantable): Grant {
    return this.grantOnTempObjects(grantee, 's3:GetObject').combine(this.grantOnStoredObjects(grantee, 's3:GetObject'));
  }

  /**
   * Settling consumed and deleted leases (settle.ts): CopyObject from the temporary prefix (GetObject
   * there, PutObject on the permanent one), HeadObject of the copy (GetObject, with ListBucket so a
   * missing object is 404, not 403), and DeleteObject on both.
   */
  grantSettleLeaseObjects(grantee: IGrantable): Grant {
    return this.grantOnTempObjects(grantee, 's3:GetObject', 's3:DeleteObject')
      .combine(this.grantOnStoredObjects(grantee, 's3:GetObject', 's3:PutObject', 's3:DeleteObject'))
      .combine(Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.ref.bucketArn] }));
  }

  /** Every ObjectCreated under the temporary prefix invokes `fn`. */
  notifyTempObjectCreated(fn: IFunction): void {
    if (this.props.localstack) this.notifyNatively(fn);
    else this.notifyThroughCdkHandler(fn);
  }

  private grantOnTempObjects(grantee: IGrantable, ...actions: string[]): Grant {
    return this.grantOnPrefix(grantee, TEMP_PREFIX, actions);
  }

  private grantOnStoredObjects(grantee: IGrantable, ...actions: string[]): Grant {
    return this.grantOnPrefix(grantee, STORED_PREFIX, actions);
  }

  private grantOnPrefix(grantee: IGrantable, prefix: string, actions: string[]): Grant {
    const grant = Grant.addToPrincipal({ grantee, actions, resourceArns: [this.ref.arnForObjects(`${prefix}*`)] });
    // On the role, so it covers whichever of its policies the statement lands in.
    const principal = grantee.grantPrincipal;
    acknowledge(
      principal instanceof Construct ? principal : this,
      `AwsSolutions-IAM5[Resource::${this.objectsNagResource(prefix)}]`,
      `Object keys are generated per lease (${prefix}<leaseId>/<name>); the prefix is the narrowest resource that covers them.`,
    );
    return grant;
  }

  /** How cdk-nag renders `<bucket ARN>/<prefix>*` in a finding id (cdk-nag 3 acknowledges exact ids only). */
  private objectsNagResource(prefix: string): string {
    const bucketArn = this.props.localstack
      ? `arn:<AWS::Partition>:s3:::${localstackBucketName(Stack.of(this).stackName, '<AWS::AccountId>', '<AWS::Region>')}`
      : `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>`;
    return `${bucketArn}/${prefix}*`;
  }

  /**
   * CDK's notifications handler, but with a role that may only put this bucket's notification
   * configuration and write to its own log group (CDK's default is the managed basic-execution policy
   * and s3:PutBucketNotification on every bucket).
   */
  private notificationsHandlerRole() {
    const role = new Role(this, 'NotificationsHandlerRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'CDK bucket-notifications handler of the upload bucket',
      inlinePolicies: { BucketNotifications: this.notificationsHandlerPolicy },
    });
    // Immutable for CDK: its managed policy and wildcard statement are dropped; ours are inline.
    return role.withoutPolicyUpdates();
  }

  private notifyThroughCdkHandler(fn: IFunction): void {
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(fn), { prefix: TEMP_PREFIX });
    const handler = Stack.of(this).node.tryFindChild(CDK_NOTIFICATIONS_HANDLER_ID);
    const handlerFunction = handler?.node.tryFindChild('Resource');
    if (!(handlerFunction instanceof CfnResource)) {
      throw new Error(`aws-cdk-lib no longer creates ${CDK_NOTIFICATIONS_HANDLER_ID}/Resource; revisit UploadBucket`);
    }
    const logs = new LogGroup(this, 'NotificationsHandlerLogs', {
      retention: this.props.logRetention,
      removalPolicy: this.props.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    handlerFunction.addPropertyOverride('LoggingConfig', { LogGroup: logs.logGroupName });
    this.notificationsHandlerPolicy.addStatements(
      new PolicyStatement({ actions: ['s3:PutBucketNotification'], resources: [this.bucket.bucketArn] }),
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logs.logGroupArn] }),
    );
  }

  /** AWS::S3::Bucket NotificationConfiguration: no custom resource, and S3 only after the permission exists. */
  private notifyNatively(fn: IFunction): void {
    const permissionId = 'AllowS3ObjectCreated';
    fn.addPermission(permissionId, {
      principal: new ServicePrincipal('s3.amazonaws.com'),
      sourceArn: this.ref.bucketArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });
    const cfnBucket = this.bucket.node.defaultChild as CfnBucket;
    cfnBucket.notificationConfiguration = {
      lambdaConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          function: fn.functionArn,
          filter: { s3Key: { rules: [{ name: 'prefix', value: TEMP_PREFIX }] } },
        },
      ],
    };
    this.bucket.node.addDependency(fn.node.findChild(permissionId));
  }
}

function commonBucketProps(props: UploadBucketProps): BucketProps {
  const destroy = !props.deletionProtection;
  return {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: false,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    // Emptying buckets on delete needs a CDK custom resource, which LocalStack community lacks.
    autoDeleteObjects: destroy && !props.localstack,
  };
}

/** A name known before the bucket exists (LocalStack mode), unique per stack, account and region. */
export function localstackBucketName(stackName: string, account: string = Aws.ACCOUNT_ID, region: string = Aws.REGION): string {
  const prefix = stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 24).replace(/-+$/, '');
  return `${prefix}-uploads-${account}-${region}`;
}
