/**
 * Who may do what: each Lambda gets exactly the table and bucket actions its code performs
 * (test/infra/iam-from-code.test.ts checks them against the calls the code makes).
 */
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { BlobFront } from './blob-front.js';
import type { BrokerFunction, BrokerLambdaName } from './broker-function.js';
import type { LeaseTable } from './lease-table.js';
import type { UploadBucket } from './upload-bucket.js';

export interface BrokerGrantsProps {
  readonly table: LeaseTable;
  readonly uploads: UploadBucket;
  readonly functions: Readonly<Record<BrokerLambdaName, BrokerFunction>>;
  /** auth=contracts only. */
  readonly accessKeysKey?: IKey;
  /** azureUploads=blob-front only. */
  readonly blobFront?: BlobFront;
}

export function grantBrokerAccess(props: BrokerGrantsProps): void {
  grantApiAccess(props);
  grantEventAccess(props);
}

function grantApiAccess({ table, uploads, functions, accessKeysKey, blobFront }: BrokerGrantsProps): void {
  const { azure, alibaba, leases } = functions;
  table.grantIssueOrRenewLeases(azure);
  table.grantClaimNames(azure);
  table.grantIssueRateLimitedLeases(alibaba);
  for (const leaseIssuer of [azure, alibaba]) uploads.grantPutTempObjects(leaseIssuer);
  // Consumers (AddFile, DescribeFile, DeleteFile; code versions; POST /leases/{id}/consume) write
  // DynamoDB only; they HEAD (and delete a rejected) upload that no S3 event has decided on yet.
  for (const consumer of [azure, alibaba, leases]) {
    table.grantTransitionLeases(consumer);
    uploads.grantVerifyUploads(consumer);
  }
  table.grantReadLeases(leases);
  uploads.grantReadLeaseObjects(leases);
  // The Azure surface alone mints container SAS tokens for the Blob front: it alone reads the signing key.
  blobFront?.grantMintContainerSas(azure);
  if (accessKeysKey) {
    // Alibaba's routes and the broker's own verify ACS3 signatures (keys, nonces); Azure's and the
    // broker's look up the grants of a token's principal.
    for (const fn of [alibaba, leases]) {
      table.grantReadCredentials(fn);
      table.grantRecordNonces(fn);
      accessKeysKey.grantDecrypt(fn);
    }
    table.grantReadCredentials(azure);
  }
}

function grantEventAccess({ table, uploads, functions }: BrokerGrantsProps): void {
  const { 's3-upload-events': uploadEvents, 'retention-sweep': sweep, 'lease-settler': settler } = functions;
  table.grantTransitionLeases(uploadEvents);
  uploads.grantInspectTempObjects(uploadEvents);
  table.grantTransitionLeases(sweep);
  table.grantQueryDueIndex(sweep);
  table.grantReadLeasesInBatches(sweep);
  uploads.grantDeleteTempObjects(sweep);
  uploads.grantSettleLeaseObjects(sweep);
  table.grantTransitionLeases(settler);
  uploads.grantSettleLeaseObjects(settler);
}
