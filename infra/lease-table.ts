/**
 * The lease table, mirroring shared/adapters/lease-table.ts (keys, sparse due index with what the sweep reads, TTL attribute),
 * with its stream (new and old images), and grants that name exactly the DynamoDB actions each Lambda
 * performs.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LEASE_TABLE } from '../shared/adapters/lease-table.js';

export interface LeaseTableProps {
  readonly deletionProtection: boolean;
}

export class LeaseTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: LeaseTableProps) {
    super(scope, id);
    const { partitionKey, ttlAttribute, dueIndex } = LEASE_TABLE;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The outbox: every lease change, for the event pipe and the settler (infra/lease-events.ts).
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: dueIndex.name,
      partitionKey: { name: dueIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: dueIndex.sortKey, type: AttributeType.NUMBER },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...dueIndex.projected],
    });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /** The due index's ARN: the sweep's Query is allowed there and nowhere else. */
  get dueIndexArn(): string {
    return `${this.table.tableArn}/index/${LEASE_TABLE.dueIndex.name}`;
  }

  /** Create-or-get issuing (Azure): the conditional put, and on an existing lease a get and a transition. */
  grantIssueOrRenewLeases(grantee: IGrantable): Grant {
    return this.grantItemActions(grantee, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }

  /** New-lease-only issuing (Alibaba): the conditional put, and the rate limiter's counter update. */
  grantIssueRateLimitedLeases(grantee: IGrantable): Grant {
    return this.grantItemActions(grantee, 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }

  /** The leases surface (lease status): a consistent GetItem. */
  grantReadLeases(grantee: IGrantable): Grant {
    return this.grantItemActions(grantee, 'dynamodb:GetItem');
  }

  /** The S3 event Lambda, the sweep, the settler and every consumer: get, then a conditional transition. */
  grantTransitionLeases(grantee: IGrantable): Grant {
    return this.grantItemActions(grantee, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }

  /** ACS3 signature nonces (shared/auth/nonces.ts): one conditional put per request. */
  grantRecordNonces(grantee: IGrantable): Grant {
    return this.grantItemActions(grantee, 'dynamodb:PutItem');
  }

  /** Stored access keys and Azure grants (shared/auth/stored-credentials.ts): reads by id. */
  grantReadCredentials(grantee: IGrantable): Grant {
    return this.grantItemActions(grantee, 'dynamodb:GetItem');
  }

  /** Unique consumer names (Azure code versions, shared/adapters/name-claims.ts): read, claim, release. */
  grantClaimNames(grantee: IGrantable): Grant {
    return this.grantItemActions(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem');
  }

  /** The sweep's consistent re-read, 100 leases a call, before it deletes their objects. */
  grantReadLeasesInBatches(grantee: IGrantable): Grant {
    return this.grantItemActions(grantee, 'dynamodb:BatchGetItem');
  }

  /** The sweep's Query on the sparse due index. */
  grantQueryDueIndex(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.dueIndexArn] });
  }

  private grantItemActions(grantee: IGrantable, ...actions: string[]): Grant {
    return Grant.addToPrincipal({ grantee, actions, resourceArns: [this.table.tableArn] });
  }
}
