import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { consumeLease } from '../../shared/lease/consume.js';
import { issueLease } from '../../shared/lease/engine.js';
import type { LeaseRecord } from '../../shared/lease/model.js';
import { recordUpload } from '../../shared/lease/uploads.js';
import { T0, type EngineFixture } from './engine-fixture.js';

/** A stream record as the table's stream (NEW_AND_OLD_IMAGES) carries a write. */
export const streamRecord = (old: object | undefined, next: object | undefined, seq = '1'): DynamoDBRecord => ({
  dynamodb: {
    SequenceNumber: seq,
    ApproximateCreationDateTime: T0 / 1000,
    ...(old ? { OldImage: marshall(old, { removeUndefinedValues: true }) as never } : {}),
    ...(next ? { NewImage: marshall(next, { removeUndefinedValues: true }) as never } : {}),
  },
});

/** An Azure-shaped lease issued, uploaded and consumed by a broker consumer: its file still to be moved. */
export async function consumedLease(f: EngineFixture, id: string): Promise<LeaseRecord> {
  const objectKey = `tmp/${id}/c-1`;
  await issueLease(f, { leaseId: id, contract: 'azure-ml', scope: 's', objectKey, pendingUploadId: id }, { createOrGet: true });
  f.objects.put(objectKey, { size: 1, eTag: '"e"' });
  await recordUpload(f, { key: objectKey, size: 1, eTag: '"e"', sequencer: '0A', eventTime: T0 });
  return consumeLease(f, id, () => true, { kind: 'broker', id: 'x' }, { idempotent: false });
}
