import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { run } from '../../scripts/upload/cli.js';
import { startTestBroker, type TestBroker } from '../support/local-broker.js';

/** `ulb upload`, the whole upload in one command, against one local broker for the file. */
let broker: TestBroker;
const dir = mkdtempSync(join(tmpdir(), 'ulb-cli-'));
beforeAll(async () => {
  // Azure leases declare no size: the broker's limit decides, small here so a rejection is cheap to provoke.
  broker = await startTestBroker({ env: { MAX_UPLOAD_BYTES: String(4 * 1024 * 1024) } });
});
afterAll(async () => {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, bytes: number) => {
  const path = join(dir, name);
  writeFileSync(path, randomBytes(bytes));
  return path;
};

/** Runs the CLI in this process with stderr as a non-terminal stream; returns code, stdout and stderr. */
async function ulb(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const stream = { isTTY: false, write: (chunk: string) => ((stderr += chunk), true) } as unknown as NodeJS.WriteStream;
  const code = await run(args, { env: { API_URL: broker.url, ...env }, stdout: (t) => (stdout += t), stderr: stream, cwd: dir });
  return { code, stdout, stderr, json: stdout ? JSON.parse(stdout) : undefined };
}

const AZURE = ['--contract', 'azure', '--subscription', '00000000-1111-2222-3333-444444444444', '--resource-group', 'rg', '--workspace', 'ws-cli'];

describe('ulb upload', () => {
  test('Alibaba, a multi-megabyte file: streamed, UPLOADED, plain progress lines on a non-terminal, the lease as JSON', async () => {
    const path = file('report.pdf', 6 * 1024 * 1024 + 123);
    const out = await ulb(['upload', path, '--contract', 'alibaba', '--workspace', 'ws_cli'], { ULB_PROGRESS_INTERVAL_MS: '0' });
    expect(out.code).toBe(0);
    expect(out.json.lease).toMatchObject({ status: 'UPLOADED', size: 6 * 1024 * 1024 + 123, fileName: 'report.pdf', contract: 'alibaba-model-studio' });
    const lines = out.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/^uploaded \d+\.\d MB of 6\.0 MB \(\d+%\), \d+\.\d MB\/s, ETA \d+ s$/);
    expect(lines.at(-1)).toMatch(/\(100%\)/);
    const percents = lines.map((l) => Number(/\((\d+)%\)/.exec(l)![1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  }, 60_000);

  test('Alibaba --consume: AddFile, the FileId on stdout, the lease CONSUMED', async () => {
    const out = await ulb(['upload', file('notes.md', 300_000), '--contract', 'alibaba', '--workspace', 'ws_cli', '--category', 'cat_1', '--consume']);
    if (out.code !== 0) throw new Error(out.stderr);
    expect(out.code).toBe(0);
    expect(out.json.fileId).toMatch(/^file_[0-9a-f]{32}_\d{13}$/);
    expect(out.json.lease.status).toBe('CONSUMED');
  }, 60_000);

  test('Azure, 3 MB: UPLOADED; --consume creates the code version', async () => {
    const out = await ulb(['upload', file('code.zip', 3 * 1024 * 1024), ...AZURE, '--name', 'cli-code', '--version', '1', '--consume']);
    expect(out.code).toBe(0);
    expect(out.json.codeVersionId).toMatch(/\/workspaces\/ws-cli\/codes\/cli-code\/versions\/1$/);
    expect(out.json.lease).toMatchObject({ status: 'CONSUMED', size: 3 * 1024 * 1024 });
  }, 60_000);

  test('a rejected upload: exit 1, the reason in one line, the REJECTED lease on stdout', async () => {
    const out = await ulb(['upload', file('big.zip', 5 * 1024 * 1024), ...AZURE, '--name', 'too-big', '--version', '1']);
    expect(out.code).toBe(1);
    expect(out.json.lease).toMatchObject({ status: 'REJECTED', rejectReason: 'SIZE_LIMIT' });
    expect(out.stderr.trim().split('\n').at(-1)).toBe('ulb: upload REJECTED: SIZE_LIMIT');
  }, 60_000);

  test('refusals in one line with their own exit codes: usage 2, the contract refusing 3, no broker 3', async () => {
    const zip = file('archive.zip', 10);
    const usage = await ulb(['upload', zip, '--contract', 'alibaba']);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toBe('ulb: --contract alibaba needs --workspace\n');
    const refused = await ulb(['upload', zip, '--contract', 'alibaba', '--workspace', 'ws_cli']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^ulb: POST \/ws_cli\/datacenter\/category\/default answered 400 InvalidParameter: FileName must end in \.pdf, .* \(got "\.zip"\)\.\n$/);
    const away = await ulb(['upload', zip, '--contract', 'alibaba', '--workspace', 'w'], { API_URL: 'http://127.0.0.1:9' });
    expect(away.code).toBe(3);
    expect(away.stderr).toMatch(/^ulb: cannot reach the broker at http:\/\/127\.0\.0\.1:9/);
    expect((await ulb(['upload', join(dir, 'missing.pdf'), '--contract', 'alibaba', '--workspace', 'w'])).stderr).toBe(`ulb: cannot read ${join(dir, 'missing.pdf')}: no such file\n`);
  }, 60_000);

  test("the local mode's /openapi.json advertises no authentication (it enforces none) and the size it takes", async () => {
    const doc = (await (await fetch(`${broker.url}/openapi.json`)).json()) as any;
    expect(doc.security).toBeUndefined();
    expect(doc.components.securitySchemes).toBeUndefined();
    expect(doc.components.schemas.ApplyFileUploadLeaseRequest.properties.SizeInBytes.anyOf[0]).toMatchObject({ minimum: 1, maximum: 100_000_000 });
  });

  // npm runs scripts in the package root; the folder the user typed `npm run ulb` in is INIT_CWD. Here
  // it differs from the process's folder (the helper's cwd), as it does under npm.
  describe('relative paths are read from the folder the command was typed in', () => {
    const caller = join(dir, 'caller');
    mkdirSync(caller);

    test('INIT_CWD set: upload report.pdf reads INIT_CWD/report.pdf', async () => {
      writeFileSync(join(caller, 'report.pdf'), randomBytes(4321));
      const out = await ulb(['upload', 'report.pdf', '--contract', 'alibaba', '--workspace', 'ws_cli'], { INIT_CWD: caller });
      // stderr holds the progress, and the reason if it failed.
      expect({ code: out.code, failure: /^ulb: .*/m.exec(out.stderr)?.[0] }).toEqual({ code: 0, failure: undefined });
      expect(out.json.lease).toMatchObject({ status: 'UPLOADED', size: 4321, fileName: 'report.pdf' });
    }, 60_000);

    test('a path it cannot read: exit 2 and one line with the absolute path it tried, and why', async () => {
      const missing = await ulb(['upload', 'missing.pdf', '--contract', 'alibaba', '--workspace', 'ws_cli'], { INIT_CWD: caller });
      expect(missing).toMatchObject({ code: 2, stdout: '', stderr: `ulb: cannot read ${join(caller, 'missing.pdf')}: no such file\n` });
      // A folder passed the old size check and failed mid-upload with exit 3.
      const folder = await ulb(['upload', '../caller', '--contract', 'alibaba', '--workspace', 'ws_cli'], { INIT_CWD: caller });
      expect(folder).toMatchObject({ code: 2, stdout: '', stderr: `ulb: cannot read ${caller}: a directory\n` });
    });

    test('npm run ulb typed in another folder uploads that folder\'s file', async () => {
      writeFileSync(join(caller, 'notes.md'), randomBytes(777));
      const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
      // Asynchronous: the broker answering the CLI runs in this process.
      const child = spawn('npm', ['--prefix', repo, 'run', '--silent', 'ulb', '--', 'upload', 'notes.md', '--contract', 'alibaba', '--workspace', 'ws_cli', '--base-url', broker.url], {
        cwd: caller,
        env: { ...process.env, API_URL: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const code = await new Promise<number | null>((done) => child.on('close', done));
      expect({ code, failure: /^ulb: .*/m.exec(stderr)?.[0] }).toEqual({ code: 0, failure: undefined });
      expect(JSON.parse(stdout).lease).toMatchObject({ status: 'UPLOADED', size: 777, fileName: 'notes.md' });
    }, 60_000);
  });

  test('the bin and the npm script start it (help on stdout, exit 0)', () => {
    const bin = spawnSync(process.execPath, ['scripts/ulb.mjs', '--help'], { encoding: 'utf8' });
    expect(bin.status).toBe(0);
    expect(bin.stdout).toMatch(/^usage: ulb upload <file> --contract alibaba\|azure/);
    const script = spawnSync('npm', ['run', '--silent', 'ulb', '--', '--help'], { encoding: 'utf8' });
    expect(script.status).toBe(0);
    expect(script.stdout).toMatch(/^usage: ulb upload <file>/);
  }, 30_000);
});
