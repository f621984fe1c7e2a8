import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    expect((await ulb(['upload', join(dir, 'missing.pdf'), '--contract', 'alibaba', '--workspace', 'w'])).stderr).toBe(`ulb: cannot read ${join(dir, 'missing.pdf')}\n`);
  }, 60_000);

  test("the local mode's /openapi.json advertises no authentication (it enforces none) and the size it takes", async () => {
    const doc = (await (await fetch(`${broker.url}/openapi.json`)).json()) as any;
    expect(doc.security).toBeUndefined();
    expect(doc.components.securitySchemes).toBeUndefined();
    expect(doc.components.schemas.ApplyFileUploadLeaseRequest.properties.SizeInBytes.anyOf[0]).toMatchObject({ minimum: 1, maximum: 100_000_000 });
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
