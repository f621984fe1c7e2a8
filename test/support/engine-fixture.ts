import { createHash } from 'node:crypto';
import { fixedClock } from './clock.js';
import { loadConfig, type BrokerConfig } from '../../shared/config.js';
import type { LeaseEngineDeps } from '../../shared/lease/engine.js';
import type { NewLease } from '../../shared/lease/model.js';
import type { UploadDeps } from '../../shared/lease/uploads.js';
import { createPresigner } from '../../shared/adapters/presign.js';
import { type UploadPresigner } from '../../shared/lease/ports.js';
import { createMemoryLeaseStore, createMemoryObjectStore, type MemoryLeaseStore, type MemoryObjectStore } from './memory-store.js';
import { declaresContentType } from '../../shared/ids.js';

process.env.BROKER_LOG_LEVEL = 'silent';

/** Numbers chosen so that no two configured durations coincide: a swapped setting shows. */
export const TEST_ENV = {
  AWS_REGION: 'eu-west-1',
  LEASE_TABLE_NAME: 'leases',
  UPLOAD_BUCKET_NAME: 'uploads',
  LEASE_URL_TTL_SECONDS: '600',
  RETENTION_SECONDS: '43200',
  RECORD_RETENTION_SECONDS: '86400',
  PENDING_GRACE_SECONDS: '300',
} as const;

export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
export const T0 = Date.UTC(2026, 0, 15, 10, 0, 0, 0);

export interface EngineFixture extends LeaseEngineDeps, UploadDeps {
  readonly store: MemoryLeaseStore;
  readonly objects: MemoryObjectStore;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly config: BrokerConfig;
  readonly presigner: UploadPresigner;
}

/** The engine's ports, all in memory, with a clock that moves only when a test moves it. */
export function engineFixture(env: Record<string, string> = {}): EngineFixture {
  const config = loadConfig({ ...TEST_ENV, ...env });
  return {
    config,
    clock: fixedClock(T0),
    store: createMemoryLeaseStore(config.dueShards),
    objects: createMemoryObjectStore(),
    presigner: createPresigner({ region: config.region, bucket: config.bucketName, credentials: CREDENTIALS }),
    // As runtime.ts wires it.
    declaresContentType,
  };
}

/** What the Alibaba-shaped leases of the unit tests declare: exactly these bytes, as text/plain. */
export const ALIBABA_BODY = 'exactly twenty bytes';

/** An Alibaba-shaped lease: declared size, MD5 and type of ALIBABA_BODY. */
export const alibabaSpec = (leaseId = 'a'.repeat(32) + '.1736935200000', overrides: Partial<NewLease> = {}): NewLease => ({
  leaseId,
  contract: 'alibaba-model-studio',
  scope: 'ws/default',
  objectKey: `tmp/${leaseId}/doc.txt`,
  fileName: 'doc.txt',
  declaredSize: ALIBABA_BODY.length,
  declaredMd5: createHash('md5').update(ALIBABA_BODY).digest('hex'),
  contentType: 'text/plain',
  ...overrides,
});

/** An Azure-shaped lease: no declared size, digest or type. */
export const azureSpec = (leaseId = 'b'.repeat(32)): NewLease => ({
  leaseId,
  contract: 'azure-ml',
  scope: 'sub/rg/workspaces/ws/code/1',
  objectKey: `tmp/${leaseId}/code-1`,
  pendingUploadId: 'upload-1',
});
