import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startBanner } from '../../local/banner.js';
import { startTestBroker, type TestBroker } from '../support/local-broker.js';

/**
 * What `npm start` prints works against the broker as it was started: its commands, run as printed
 * (bash, in the project folder), get answers, not 401s.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The banner's commands of one section (from its title line to the next blank line), joined as bash runs them. */
function section(banner: string, title: string): string {
  const lines = banner.split('\n');
  const from = lines.findIndex((l) => l.startsWith(title));
  expect(from).toBeGreaterThan(-1);
  const to = lines.findIndex((l, i) => i > from && l.trim() === '');
  return lines.slice(from + 1, to === -1 ? undefined : to).join('\n');
}

async function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // stdin not a socket: bash run with a socket for stdin takes itself for a remote shell and reads
  // /etc/bash.bashrc (which fails under -u in some images).
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, stdout, stderr };
}

/** The banner's Azure commands but ulb (it needs a file of the reader's), run in bash as printed: the curl gets a lease. */
async function azureCommandsWork(broker: TestBroker): Promise<void> {
  const commands = section(startBanner(broker, broker.dataDir), 'Azure ML (bearer token):')
    .split('\n')
    .filter((l) => !l.includes('npm run ulb'))
    .map((l) => l.replace('npm run ', 'npm run --silent '))
    .join('\n');
  // No DATA_DIR here: the banner names this broker's (not the default) in its commands.
  const run = await bash(commands, {});
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const answer = JSON.parse(run.stdout.slice(run.stdout.indexOf('{"')));
  expect(answer).toMatchObject({ blobReferenceForConsumption: { blobUri: expect.any(String) } });
}

describe('the start banner, AUTH=none', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.dispose());

  test('its startPendingUpload curl, run as printed, gets a lease', async () => {
    const banner = startBanner(broker, broker.dataDir);
    expect(banner).not.toContain('dev-token');
    const run = await bash(section(banner, 'Azure ML startPendingUpload:'), {});
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ blobReferenceForConsumption: { blobUri: expect.any(String), credential: { credentialType: 'SAS' } } });
  });
});

describe('the start banner, AUTH=contracts JWT_ISSUER=dev', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ env: { AUTH: 'contracts', JWT_ISSUER: 'dev' } });
  });
  afterAll(() => broker.dispose());

  test('shows no unsigned request: every curl carries a credential, and names the files and the issuer', () => {
    const banner = startBanner(broker, broker.dataDir);
    const curls = banner.split('\n').filter((l) => l.trimStart().startsWith('curl '));
    expect(curls.length).toBeGreaterThan(0);
    for (const curl of curls) expect(curl).toContain('authorization: Bearer $AZURE_ACCESS_TOKEN');
    expect(banner).toContain(broker.contractsAuth!.keysFile);
    expect(banner).toContain(broker.contractsAuth!.grantsFile);
    expect(banner).toContain(broker.contractsAuth!.issuer);
    expect(banner).toContain(`DATA_DIR=${broker.dataDir} npm run --silent dev-token -- --principal dev-user`);
  });

  test('its Azure commands, run as printed (grant, dev token, curl), get a lease', () => azureCommandsWork(broker));
});

describe('the start banner, AUTH=contracts with named files and a DATA_DIR with a space', () => {
  let broker: TestBroker;
  const elsewhere = mkdtempSync(join(tmpdir(), 'ulb-named files-'));
  beforeAll(async () => {
    writeFileSync(join(elsewhere, 'keys.json'), '[]');
    writeFileSync(join(elsewhere, 'grants.json'), '[]');
    broker = await startTestBroker({
      dataDir: mkdtempSync(join(tmpdir(), 'ulb-data dir-')),
      env: { AUTH: 'contracts', JWT_ISSUER: 'dev', ACCESS_KEYS_FILE: join(elsewhere, 'keys.json'), AZURE_GRANTS_FILE: join(elsewhere, 'grants.json') },
    });
  });
  afterAll(async () => {
    await broker.dispose();
    rmSync(elsewhere, { recursive: true, force: true });
  });

  test('names the files to access-keys (not --local) and quotes the paths; its Azure commands get a lease', async () => {
    const banner = startBanner(broker, broker.dataDir);
    expect(banner).toContain(`npm run access-keys -- create --keys-file '${join(elsewhere, 'keys.json')}' --workspace ws_demo`);
    expect(banner).toContain(`npm run access-keys -- grant --grants-file '${join(elsewhere, 'grants.json')}' --principal dev-user`);
    expect(banner).toContain(`DATA_DIR='${broker.dataDir}' npm run --silent dev-token`);
    await azureCommandsWork(broker);
  });
});
