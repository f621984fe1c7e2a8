/**
 * `npm start`: the broker on 127.0.0.1 with embedded S3 and DynamoDB. No AWS account, no Docker.
 * Settings come from the environment: PORT, DATA_DIR, SWEEP_INTERVAL_SECONDS and the broker's own
 * (RETENTION_SECONDS, LEASE_URL_TTL_SECONDS, ...).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalBroker } from './server.js';
import { startupProblem } from './startup-errors.js';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a non-negative integer, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const dataDir = resolve(process.env.DATA_DIR || '.data');
const port = intFromEnv('PORT', 3000);
// A fixed S3 port keeps URLs handed out before a restart valid after it.
const s3Port = intFromEnv('S3_PORT', port === 0 ? 0 : port + 1);
// Only used with AZURE_UPLOADS=blob-front; fixed for the same reason (SAS URLs name it).
const blobFrontPort = intFromEnv('BLOB_FRONT_PORT', port === 0 ? 0 : port + 2);
let broker: Awaited<ReturnType<typeof startLocalBroker>>;
try {
  mkdirSync(dataDir, { recursive: true });
  broker = await startLocalBroker({
    dataDir,
    port,
    s3Port,
    blobFrontPort,
    sweepIntervalSeconds: intFromEnv('SWEEP_INTERVAL_SECONDS', 60),
    env: process.env,
    printLeaseEvents: true,
  });
} catch (error) {
  const problem = startupProblem(error, { port, s3Port, blobFrontPort, dataDir });
  if (!problem || process.env.DEBUG) console.error(error);
  if (problem) console.error(`cannot start: ${problem}`);
  process.exit(1);
}

const url = broker.url;
const front = broker.blobFrontUrl
  ? `\nAzure uploads go through the Blob front on ${broker.blobFrontUrl} (AZURE_UPLOADS=blob-front): the sasUri is a container SAS for @azure/storage-blob and azure-ai-ml.\n`
  : '';
console.log(`upload-lease-broker listening on ${url} (embedded S3 on ${broker.s3Endpoint}, data in ${dataDir})
${front}
Azure ML startPendingUpload:
  curl -s -X POST '${url}/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace/codes/my-code/versions/1/startPendingUpload?api-version=2025-09-01' \\
    -H 'content-type: application/json' -d '{"pendingUploadId":"my-upload-1"}'

Alibaba ApplyFileUploadLease:
  curl -s -X POST '${url}/ws_3AXoiweeTyTd03IN/datacenter/category/default' \\
    -d FileName=report.pdf -d Md5=<32 hex, the file's MD5> -d SizeInBytes=<bytes>

A whole upload in one command (size, MD5, lease, PUT, verdict):
  npm run ulb -- upload report.pdf --contract alibaba --workspace ws_demo --base-url ${url}

Lease status:  curl -s ${url}/leases/<x-lease-id header or FileUploadLeaseId>
Lease events:  ${broker.eventsFile} (one JSON line each, also printed here)
Press Ctrl-C to stop.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    broker.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
