/**
 * Custom resource (Custom::BlobFrontSigningKey, infra/blob-front-key.ts): on Create and Update, copies
 * the Blob front's signing key from its secret, and the per-blob size limit, into the front's
 * KeyValueStore. CloudFormation invokes this Lambda directly (no provider framework), so it answers
 * the presigned ResponseURL itself, always, FAILED included: a missing answer hangs the stack for an
 * hour. Delete leaves the store alone (it goes with the stack, or keeps a key nothing reads).
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createKeyValueStoreClient, DEPLOY_TIME_REQUESTS, syncFrontKeys } from '../../shared/adapters/front-key-store.js';
import { createSecretsClient } from '../../shared/adapters/front-signing-key.js';
import { log } from '../../shared/log.js';

const clients = { secrets: createSecretsClient(DEPLOY_TIME_REQUESTS), kvs: createKeyValueStoreClient() };

interface Properties {
  readonly KvsArn: string;
  readonly SecretArn: string;
  readonly MaxBlobBytes: string;
  /** Only here to make CloudFormation run an Update after the secret was rotated. */
  readonly Rotation?: string;
}

export const handler = async (event: CloudFormationCustomResourceEvent): Promise<void> => {
  const props = event.ResourceProperties as unknown as Properties;
  const physicalId = `front-keys:${props.KvsArn}`;
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason: string | undefined;
  try {
    if (event.RequestType !== 'Delete') {
      await syncFrontKeys(clients, { secretArn: props.SecretArn, kvsArn: props.KvsArn, maxBlobBytes: Number(props.MaxBlobBytes) });
      log.info('blob front keys written', { kvsArn: props.KvsArn, rotation: props.Rotation, requestType: event.RequestType });
    }
  } catch (error) {
    status = 'FAILED';
    // The name and message only: nothing that could carry the key.
    reason = `${(error as Error).name}: ${(error as Error).message}`.slice(0, 500);
    log.error('blob front keys not written', { kvsArn: props.KvsArn, requestType: event.RequestType }, error);
  }
  const body = JSON.stringify({
    Status: status,
    ...(reason ? { Reason: reason } : {}),
    PhysicalResourceId: event.RequestType === 'Delete' ? event.PhysicalResourceId : physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // A Buffer body: no Content-Type is added, which the presigned URL did not sign.
  const answer = await fetch(event.ResponseURL, { method: 'PUT', body: Buffer.from(body) });
  if (!answer.ok) throw new Error(`CloudFormation response not accepted: ${answer.status}`);
};
