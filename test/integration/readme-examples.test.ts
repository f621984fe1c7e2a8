import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { exampleFiles, renderBlock, shownExamples, syncReadme } from '../../scripts/sync-readme-examples.js';
import { eventually, getLease, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { devIssuerFileIn } from '../../local/data-files.js';
import { mintDevToken } from '../../local/dev-issuer/token.js';

/**
 * The README's examples are the files of examples/, shown verbatim (npm run docs:examples copies them),
 * and each one runs as written against a local broker: what a reader copies works.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('the README shows examples/ as they are', () => {
  test('every marked block is its file, byte for byte (npm run docs:examples rewrites a stale one)', () => {
    const shown = shownExamples(readme);
    expect(shown.length).toBeGreaterThan(0);
    for (const { path, block } of shown) expect({ path, block }).toEqual({ path, block: renderBlock(path, read(path)) });
  });

  test('every file of examples/ is shown, once', () => {
    expect(shownExamples(readme).map((e) => e.path).sort()).toEqual(exampleFiles(ROOT));
  });

  test('the sync fills an empty block, rewrites a stale one, and refuses a block it cannot delimit', () => {
    const files: Record<string, string> = { 'examples/a.sh': 'echo a\n', 'examples/b.mjs': 'console.log(1);\n' };
    const before = 'intro\n<!-- example: examples/a.sh -->\n<!-- /example -->\nmiddle\n<!-- example: examples/b.mjs -->\n```js\nold();\n```\n<!-- /example -->\nend\n';
    const after = syncReadme(before, (path) => files[path]!);
    expect(after).toBe('intro\n<!-- example: examples/a.sh -->\n```sh\necho a\n```\n<!-- /example -->\nmiddle\n<!-- example: examples/b.mjs -->\n```js\nconsole.log(1);\n```\n<!-- /example -->\nend\n');
    expect(syncReadme(after, (path) => files[path]!)).toBe(after);
    // An unclosed block must not swallow the next one.
    expect(() => shownExamples('<!-- example: examples/a.sh -->\n```sh\necho a\n```\n\n' + after)).toThrow(/example block of examples\/a\.sh/);
    expect(() => renderBlock('examples/c.sh', 'cat <<EOF\n```\nEOF\n')).toThrow(/code fence/);
  });
});

/** `npm start` as a process (what the README's walkthrough starts), its URL read from what it prints. */
async function startBrokerProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env: { ...process.env, BROKER_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await Promise.race([
    eventually(async () => /listening on (http:\/\/[\d.:]+)/.exec(output)?.[1], 30_000, 50),
    exited.then((code) => Promise.reject(new Error(`npm start exited with ${code}: ${output}`))),
  ]);
  return { child, url, exited, output: () => output };
}

describe('every example runs as written against a local broker', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.dispose());

  /** Runs one example the way the README says (bash for .sh, node for .mjs) with BROKER_URL set. */
  async function runExample(path: string, target: { readonly url: string } = broker, env: Record<string, string> = {}) {
    const [command, args] = path.endsWith('.sh') ? ['bash', [path]] : [process.execPath, [path]];
    // Asynchronous: the broker the example talks to runs in this process.
    // stdin not a socket (bash would take itself for a remote shell and read /etc/bash.bashrc).
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, BROKER_URL: target.url, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    // Shown on failure: curl prints the refusal's body (on stdout) and its status (on stderr).
    const failure = code === 0 ? undefined : { stderr, stdoutEnd: stdout.trimEnd().split('\n').slice(-2) };
    expect({ path, code, failure }).toEqual({ path, code: 0, failure: undefined });
    return stdout;
  }

  /** The JSON answers an example printed, one a line. */
  const answers = (stdout: string): any[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const leaseStatus = async (leaseId: string) => (await getLease(broker.url, leaseId)).json.status as string;
  const becomes = (leaseId: string, status: string) => eventually(async () => ((await leaseStatus(leaseId)) === status ? true : undefined));
  const FILE_ID = /^file_[0-9a-f]{32}_\d{13}$/;

  const runs: Record<string, () => Promise<void>> = {
    'examples/alibaba-upload.sh': async () => {
      const [lease, view] = answers(await runExample('examples/alibaba-upload.sh'));
      expect(lease).toMatchObject({ Code: 'Success', Data: { FileUploadLeaseId: expect.stringMatching(/^[0-9a-f]{32}\.\d{13}$/) } });
      expect(view).toMatchObject({ leaseId: lease.Data.FileUploadLeaseId, contract: 'alibaba-model-studio', fileName: 'hello.txt' });
      // The storage took the bytes with the signed MD5 and size, and the broker verified them.
      await becomes(lease.Data.FileUploadLeaseId, 'UPLOADED');
    },
    'examples/azure-upload.sh': async () => {
      const [started, view] = answers(await runExample('examples/azure-upload.sh'));
      expect(started.blobReferenceForConsumption.credential).toMatchObject({ credentialType: 'SAS', sasUri: expect.stringContaining('X-Amz-Signature=') });
      expect(view).toMatchObject({ contract: 'azure-ml', leaseId: expect.stringMatching(/^[0-9a-f]{32}$/) });
      await becomes(view.leaseId, 'UPLOADED');
    },
    'examples/alibaba-consume.sh': async () => {
      const stdout = await runExample('examples/alibaba-consume.sh');
      const [lease, , added, described, consumed, deleted] = answers(stdout);
      const leaseId = lease.Data.FileUploadLeaseId;
      expect(added.Data.FileId).toMatch(FILE_ID);
      expect(added.Data.FileId).toBe(`file_${leaseId.replace('.', '_')}`);
      expect(stdout).toMatch(/^DescribeFile: FILE_IS_READY$/m);
      expect(described.Data).toMatchObject({ FileId: added.Data.FileId, Status: 'FILE_IS_READY', Tags: ['demo'] });
      expect(consumed).toMatchObject({ leaseId, status: 'CONSUMED', consumedBy: { kind: 'alibaba-file', id: added.Data.FileId } });
      expect(deleted).toMatchObject({ Code: 'Success', Data: { FileId: added.Data.FileId } });
      await becomes(leaseId, 'DELETED');
    },
    'examples/alibaba-sdk.mjs': async () => {
      const stdout = await runExample('examples/alibaba-sdk.mjs');
      const fileId = /^AddFile: (\S+)$/m.exec(stdout)?.[1];
      expect(fileId).toMatch(FILE_ID);
      expect(stdout).toMatch(/^DescribeFile: FILE_IS_READY$/m);
      expect(stdout).toContain(`DeleteFile: ${fileId} deleted`);
      const leaseId = /^ApplyFileUploadLease: lease (\S+),/m.exec(stdout)![1]!;
      expect(fileId).toBe(`file_${leaseId.replace('.', '_')}`);
      await becomes(leaseId, 'DELETED');
    },
    'examples/azure-consume.sh': async () => {
      const stdout = await runExample('examples/azure-consume.sh');
      expect(stdout).toMatch(/^code version: HTTP 201 \{/m);
      const [, , version, consumed] = answers(stdout); // startPendingUpload, the lease, GET of the version, the lease
      expect(version.properties).toMatchObject({ codeUri: expect.stringContaining(`/files/${consumed.leaseId}/`), description: 'demo' });
      expect(consumed).toMatchObject({ contract: 'azure-ml', status: 'CONSUMED', consumedBy: { kind: 'azure-code-version' } });
    },
    'examples/contracts-auth.sh': async () => {
      // The walkthrough's broker as the README starts it: `AUTH=contracts JWT_ISSUER=dev npm start`, a
      // process of its own; the script's npm commands (access-keys --local, dev-token) find its files
      // through the same DATA_DIR, as a reader's would.
      const dataDir = mkdtempSync(join(tmpdir(), 'ulb-walkthrough-'));
      const started = await startBrokerProcess({ AUTH: 'contracts', JWT_ISSUER: 'dev', PORT: '0', DATA_DIR: dataDir });
      try {
        const url = started.url;
        const stdout = await runExample('examples/contracts-auth.sh', { url }, { DATA_DIR: dataDir });
        expect(stdout).toMatch(/^unsigned: HTTP 401 \{"error":\{"code":"AuthenticationFailed"/m);
        const [alibaba, azure] = answers(stdout);
        expect(alibaba).toMatchObject({ lease: { contract: 'alibaba-model-studio', status: 'CONSUMED' }, fileId: expect.stringMatching(FILE_ID) });
        expect(azure).toMatchObject({ lease: { contract: 'azure-ml', status: 'CONSUMED' }, codeVersionId: expect.stringContaining('/codes/my-code/versions/1') });
        // The key and the grant the script made are where the broker reads them, owner-only.
        for (const file of ['access-keys.json', 'azure-grants.json']) expect((statSync(join(dataDir, file)).mode & 0o777).toString(8)).toBe('600');
        expect(JSON.parse(readFileSync(join(dataDir, 'access-keys.json'), 'utf8'))).toEqual([expect.objectContaining({ Workspaces: ['ws_demo'] })]);
        // The development issuer's tokens name their principal: dev-user sees its Azure lease, and the
        // Alibaba workspace's lease is not its tenant's (404); without a token, ARM's 401.
        const token = await mintDevToken({ file: devIssuerFileIn(dataDir), principal: 'dev-user', lifetimeSeconds: 600, now: Math.floor(Date.now() / 1000) });
        const asDevUser = (leaseId: string) => fetch(`${url}/leases/${leaseId}`, { headers: { authorization: `Bearer ${token}` } });
        expect((await asDevUser(azure.lease.leaseId)).status).toBe(200);
        expect((await asDevUser(alibaba.lease.leaseId)).status).toBe(404);
        expect((await getLease(url, azure.lease.leaseId)).status).toBe(401);
        // What it printed at start is the banner for this mode: the issuer it listened on, the files it reads.
        expect(started.output()).toContain(`Azure tokens must come from ${JSON.parse(readFileSync(devIssuerFileIn(dataDir), 'utf8')).issuer} (the development issuer`);
        expect(started.output()).toContain(`Access keys are read from ${join(dataDir, 'access-keys.json')}`);
      } finally {
        started.child.kill('SIGTERM');
        expect(await started.exited).toBe(0);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };

  test('every file of examples/ has a run here', () => {
    expect(Object.keys(runs).sort()).toEqual(exampleFiles(ROOT));
  });

  test.each(Object.keys(runs))('%s exits 0 and did what it says', (path) => runs[path]!(), 60_000);
});
