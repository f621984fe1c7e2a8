/**
 * `npm run test:python-client`: Debian's python3-azure-storage (azure-storage-blob 12) drives a code
 * upload through the local Blob front as azure-ai-ml does (scripts/python/azure_blob_client.py). Not
 * part of `npm test`: it needs `apt-get install python3-azure-storage` (PYTHON, default /usr/bin/python3).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalBroker } from '../local/server.js';

const python = process.env.PYTHON || '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'import azure.storage.blob'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`${python} cannot import azure.storage.blob: install it (apt-get install python3-azure-storage) or set PYTHON`);
  process.exit(2);
}
process.env.BROKER_LOG_LEVEL ??= 'silent';
const dataDir = mkdtempSync(join(tmpdir(), 'ulb-python-'));
const broker = await startLocalBroker({ dataDir, port: 0, sweepIntervalSeconds: 0, env: { AZURE_UPLOADS: 'blob-front' } });
let status = 1;
try {
  // Not spawnSync: the broker serves the client from this very process.
  const client = spawn(python, [join(import.meta.dirname, 'python', 'azure_blob_client.py'), broker.url], { stdio: 'inherit' });
  const [code] = (await once(client, 'exit')) as [number | null];
  status = code ?? 1;
} finally {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(status);
