/**
 * The audit after a soak run, from what the broker left: its lease table, its bucket and events.jsonl,
 * read with the broker stopped (its DATA_DIR opened here), against what the clients know.
 *
 * The allowed moves are the lease domain's (shared/lease/model.ts, LEASE_STATUSES' comment): PENDING ->
 * UPLOADED | REJECTED | EXPIRED; UPLOADED -> EXPIRED | CONSUMED; CONSUMED -> DELETED; REJECTED | EXPIRED
 * -> PENDING (an Azure create-or-get). The domain has no table of them to import; this is its comment.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ScanCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fromItem, type LeaseItem } from '../../shared/adapters/lease-item.js';
import { LEASE_EVENT_TYPES } from '../../shared/lease/events.js';
import { currentKey, LEASE_STATUSES, statusSince, tempObjectEnd, type LeaseRecord, type LeaseStatus } from '../../shared/lease/model.js';
import { PENDING_SETTLE_MS } from '../../shared/lease/sweep.js';
import type { BrokerConfig } from '../../shared/config.js';
import { LOCAL_CREDENTIALS, startEmulators } from '../../local/emulators.js';
import type { TrackedLease } from './clients.js';

export const NEXT: Readonly<Record<LeaseStatus, readonly LeaseStatus[]>> = {
  PENDING: ['UPLOADED', 'REJECTED', 'EXPIRED'],
  UPLOADED: ['EXPIRED', 'CONSUMED'],
  REJECTED: ['PENDING'],
  EXPIRED: ['PENDING'],
  CONSUMED: ['DELETED'],
  DELETED: [],
};

/** Whether a lease can go from `from` to `to` by one transition, or by a revival (no event) and one more. */
export function eventStepAllowed(from: LeaseStatus, to: LeaseStatus): boolean {
  if (NEXT[from].includes(to)) return true;
  return NEXT[from].includes('PENDING') && NEXT.PENDING.includes(to);
}

export interface AuditInput {
  readonly dataDir: string;
  readonly config: Pick<BrokerConfig, 'bucketName' | 'tableName' | 'region' | 'retentionSeconds' | 'pendingGraceSeconds' | 'urlTtlSeconds'>;
  readonly sweepIntervalSeconds: number;
  readonly leases: ReadonlyMap<string, TrackedLease>;
  /** When the broker was killed (-9), if it was. */
  readonly killedAt: number | undefined;
  /** When the broker stopped sweeping (the audit's "now" for objects past their time). */
  readonly stoppedAt: number;
}

export interface AuditCheck {
  readonly name: string;
  readonly checked: number;
  readonly failures: readonly string[];
}

export interface AuditResult {
  readonly ok: boolean;
  readonly checks: readonly AuditCheck[];
  readonly leasesInStore: number;
  readonly statuses: Record<string, number>;
  readonly events: number;
  readonly objects: { readonly tmp: number; readonly files: number };
  readonly parkedS3Events: number;
}

/** Slack on "past its retention plus one sweep": a sweep's own run time on a busy machine. */
const SWEEP_SLACK_MS = 10_000;

class Check {
  checked = 0;
  readonly failures: string[] = [];
  constructor(readonly name: string) {}
  ok(condition: boolean, failure: () => string): void {
    this.checked++;
    if (!condition && this.failures.length < 200) this.failures.push(failure());
    else if (!condition) this.failures.length === 200 && this.failures.push('... (more)');
  }
  result(): AuditCheck {
    return { name: this.name, checked: this.checked, failures: this.failures };
  }
}

interface EventLine {
  'detail-type': string;
  time: string;
  detail: { leaseId: string; status: LeaseStatus };
}

async function readStore(endpoint: string, table: string, region: string): Promise<Map<string, LeaseRecord>> {
  const ddb = new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS });
  const records = new Map<string, LeaseRecord>();
  try {
    let start: Record<string, any> | undefined;
    do {
      const page = await ddb.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw) as Partial<LeaseItem>;
        if (typeof item.leaseId === 'string' && typeof item.status === 'string' && typeof item.contract === 'string') records.set(item.leaseId, fromItem(item as LeaseItem));
      }
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    ddb.destroy();
  }
  return records;
}

async function readBucket(s3: S3Client, bucket: string): Promise<Map<string, { size: number }>> {
  const objects = new Map<string, { size: number }>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) objects.set(o.Key!, { size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

async function md5Of(s3: S3Client, bucket: string, key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return createHash('md5').update(await got.Body!.transformToByteArray()).digest('hex');
}

/** When a transition to `status` was written, at the latest (the record's own time for it), if known. */

export async function audit(input: AuditInput): Promise<AuditResult> {
  const { config } = input;
  // The broker is stopped: its emulators, opened here on its DATA_DIR (no events, no sweep).
  const emulators = await startEmulators({ dataDir: input.dataDir, bucket: config.bucketName, table: config.tableName, region: config.region, s3Port: 0 });
  const s3 = new S3Client({ region: config.region, endpoint: emulators.s3Endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
  try {
    const records = await readStore(emulators.dynamoEndpoint, config.tableName, config.region);
    const objects = await readBucket(s3, config.bucketName);
    const eventsFile = `${input.dataDir}/events.jsonl`;
    const lines = existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean) : [];
    const parkedFile = `${input.dataDir}/failed-upload-events.jsonl`;
    const parkedS3Events = existsSync(parkedFile) ? readFileSync(parkedFile, 'utf8').split('\n').filter(Boolean).length : 0;

    const states = new Check('every lease in a state its history allows');
    const known = new Check('every lease a client was handed is in the store, as the client saw it');
    const consumedFiles = new Check('every consumed file present with its MD5 (none deleted)');
    const tmpObjects = new Check('no object under tmp/ past its retention plus one sweep');
    const eventsCheck = new Check('one event per transition, in order per lease, none missing after the restart');
    const parked = new Check('no S3 event given up on (failed-upload-events.jsonl)');
    parked.ok(parkedS3Events === 0, () => `${parkedS3Events} S3 events parked after their retries`);

    // Events, per lease, in file order.
    const perLease = new Map<string, EventLine[]>();
    for (const [i, line] of lines.entries()) {
      let event: EventLine;
      try {
        event = JSON.parse(line) as EventLine;
      } catch {
        eventsCheck.ok(false, () => `events.jsonl line ${i + 1} is not JSON`);
        continue;
      }
      const expectedType = LEASE_EVENT_TYPES[event.detail.status as keyof typeof LEASE_EVENT_TYPES];
      eventsCheck.ok(expectedType === event['detail-type'], () => `line ${i + 1}: ${event['detail-type']} for status ${event.detail.status}`);
      let list = perLease.get(event.detail.leaseId);
      if (!list) perLease.set(event.detail.leaseId, (list = []));
      list.push(event);
    }
    for (const leaseId of perLease.keys()) {
      eventsCheck.ok(records.has(leaseId), () => `events for ${leaseId}, which is not in the store`);
    }
    for (const [leaseId, record] of records) {
      states.ok((LEASE_STATUSES as readonly string[]).includes(record.status), () => `${leaseId}: unknown status ${record.status}`);
      const events = perLease.get(leaseId) ?? [];
      let previous: LeaseStatus = 'PENDING';
      let previousTime = 0;
      for (const event of events) {
        const to = event.detail.status;
        eventsCheck.ok(to !== previous, () => `${leaseId}: two ${to} events in a row (a transition published twice)`);
        if (to !== previous) states.ok(eventStepAllowed(previous, to), () => `${leaseId}: ${previous} -> ${to} is not a move a lease can make`);
        const time = Date.parse(event.time);
        eventsCheck.ok(time >= previousTime, () => `${leaseId}: ${to} event at ${event.time} is before the one it follows`);
        previous = to;
        previousTime = time;
      }
      const last = events.at(-1)?.detail.status;
      if (record.status === 'PENDING') {
        states.ok(last === undefined || last === 'REJECTED' || last === 'EXPIRED', () => `${leaseId}: PENDING after a ${last} event`);
      } else {
        // The store moved on and no event says so. The feed's outbox (local/lease-feed.ts) publishes what a
        // kill -9 left unpublished when the broker starts again: none may be missing, before or after it.
        const at = statusSince(record);
        eventsCheck.ok(last === record.status, () => `${leaseId}: store says ${record.status}, last event ${last ?? 'none'} (transition at ${at && new Date(at).toISOString()})`);
      }
      states.ok(record.status !== 'DELETED', () => `${leaseId}: DELETED (nothing in the soak deletes what consumed a lease)`);
    }

    // What the clients know.
    for (const [leaseId, lease] of input.leases) {
      const record = records.get(leaseId);
      known.ok(record !== undefined, () => `${leaseId} (${lease.scenario}): not in the store`);
      if (!record) continue;
      if (lease.consumedBy) {
        known.ok(
          record.status === 'CONSUMED' && record.consumedBy?.kind === lease.consumedBy.kind && (lease.consumedBy.kind === 'azure-code-version' || record.consumedBy.id === lease.consumedBy.id),
          () => `${leaseId} (${lease.scenario}): consumed by ${lease.consumedBy!.kind} ${lease.consumedBy!.id}, store says ${record.status} ${record.consumedBy?.kind ?? ''} ${record.consumedBy?.id ?? ''}`,
        );
      } else if (!lease.consumeUnknown?.length) {
        known.ok(record.status !== 'CONSUMED' && record.status !== 'DELETED', () => `${leaseId} (${lease.scenario}): ${record.status} though no consume of it was answered`);
      }
      if (lease.uploadedMd5 === undefined) {
        known.ok(record.status === 'PENDING' || record.status === 'EXPIRED', () => `${leaseId} (${lease.scenario}): ${record.status} though no upload of it succeeded`);
      }
      if (lease.raceWinners) known.ok(new Set(lease.raceWinners).size <= 1, () => `${leaseId}: ${lease.raceWinners!.length} consumers were told they won`);
    }

    // The bucket.
    const config2 = config as BrokerConfig;
    for (const [leaseId, record] of records) {
      if (record.status !== 'CONSUMED') continue;
      const key = currentKey(record);
      const tracked = input.leases.get(leaseId);
      if (tracked?.blobs) {
        // A container (the Blob front): every blob stored is part of the consumed file, under its prefix.
        for (const [name, want] of Object.entries(tracked.blobs)) {
          const blobKey = `${key}${name}`;
          if (!objects.has(blobKey)) consumedFiles.ok(false, () => `${leaseId}: consumed, but ${blobKey} is not in the bucket`);
          else {
            const md5 = await md5Of(s3, config.bucketName, blobKey);
            consumedFiles.ok(md5 === want, () => `${leaseId}: ${blobKey} has MD5 ${md5}, the upload had ${want}`);
          }
        }
        continue;
      }
      if (!objects.has(key)) {
        consumedFiles.ok(false, () => `${leaseId}: consumed, but ${key} is not in the bucket`);
        continue;
      }
      if (tracked?.uploadedMd5) {
        const md5 = await md5Of(s3, config.bucketName, key);
        consumedFiles.ok(md5 === tracked.uploadedMd5, () => `${leaseId}: ${key} has MD5 ${md5}, the upload had ${tracked.uploadedMd5}`);
      } else consumedFiles.ok(true, () => '');
    }
    let tmp = 0;
    let files = 0;
    for (const key of objects.keys()) {
      if (key.startsWith('files/')) files++;
      if (!key.startsWith('tmp/')) continue;
      tmp++;
      const leaseId = key.split('/')[1]!;
      const record = records.get(leaseId);
      if (!record) {
        tmpObjects.ok(false, () => `${key}: no lease ${leaseId} in the store`);
        continue;
      }
      const neverUploaded = record.uploadedAt === undefined;
      const end = Math.max(
        tempObjectEnd(record, config2),
        record.expiredAt ?? 0,
        neverUploaded || record.status === 'PENDING' ? record.urlExpiresAt + config.pendingGraceSeconds * 1000 + PENDING_SETTLE_MS : 0,
      );
      const deadline = end + input.sweepIntervalSeconds * 1000 + SWEEP_SLACK_MS;
      tmpObjects.ok(input.stoppedAt <= deadline, () => `${key} (${record.status}): still there ${Math.round((input.stoppedAt - end) / 1000)} s after its end`);
    }

    const statuses: Record<string, number> = {};
    for (const r of records.values()) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const checks = [states, known, consumedFiles, tmpObjects, eventsCheck, parked].map((c) => c.result());
    return {
      ok: checks.every((c) => c.failures.length === 0),
      checks,
      leasesInStore: records.size,
      statuses,
      events: lines.length,
      objects: { tmp, files },
      parkedS3Events,
    };
  } finally {
    s3.destroy();
    await emulators.close();
  }
}
