import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createServer } from 'node:net';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../local/emulators.js';
import { eventually, getLease, postForm } from '../support/local-broker.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** `npm start` as a user runs it: a real process, stopped with signals and restarted on the same DATA_DIR. */
const dataDir = mkdtempSync(join(tmpdir(), 'ulb-process-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, BROKER_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await eventually(async () => /listening on (http:\/\/[\d.:]+)/.exec(output)?.[1], 20_000, 50);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, exited, output: () => output };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('npm start as a process', () => {
  test('prints an example per contract, answers /health, stops cleanly on SIGINT, and loses nothing across a restart', async () => {
    const s3Port = String(await freePort());
    const first = await startProcess({ SWEEP_INTERVAL_SECONDS: '1', S3_PORT: s3Port });
    expect(first.output()).toContain('/startPendingUpload?api-version=2025-09-01');
    expect(first.output()).toContain('/datacenter/category/default');
    expect((await fetch(`${first.url}/health`)).status).toBe(200);

    const body = 'survives restarts';
    const res = await postForm(first.url, '/ws_proc/datacenter/category/default', { FileName: 'keep.txt', Md5: md5(body), SizeInBytes: String(body.length) });
    const { FileUploadLeaseId: leaseId, Param } = res.json.Data;
    expect((await fetch(Param.Url, { method: 'PUT', headers: Param.Headers, body })).status).toBe(200);
    await eventually(async () => ((await getLease(first.url, leaseId)).json.status === 'UPLOADED' ? true : undefined));

    const later = 'uploaded after the restart';
    const early = await postForm(first.url, '/ws_proc/datacenter/category/default', { FileName: 'later.txt', Md5: md5(later), SizeInBytes: String(later.length) });

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    const second = await startProcess({ SWEEP_INTERVAL_SECONDS: '1', S3_PORT: s3Port });
    const lease = await getLease(second.url, leaseId);
    expect(lease.json).toMatchObject({ leaseId, status: 'UPLOADED', size: body.length });
    // A URL handed out before the restart still works after it.
    const { FileUploadLeaseId: earlyId, Param: earlyParam } = early.json.Data;
    expect((await fetch(earlyParam.Url, { method: 'PUT', headers: earlyParam.Headers, body: later })).status).toBe(200);
    await eventually(async () => ((await getLease(second.url, earlyId)).json.status === 'UPLOADED' ? true : undefined));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);

  test('the sweep catches up on what became due while the broker was down', async () => {
    const s3Port = String(await freePort());
    const first = await startProcess({ RETENTION_SECONDS: '1', SWEEP_INTERVAL_SECONDS: '3600', S3_PORT: s3Port });
    const body = 'expires while down';
    const res = await postForm(first.url, '/ws_proc/datacenter/category/default', { FileName: 'gone.txt', Md5: md5(body), SizeInBytes: String(body.length) });
    const { FileUploadLeaseId: leaseId, Param } = res.json.Data;
    await fetch(Param.Url, { method: 'PUT', headers: Param.Headers, body });
    const uploaded = await eventually(async () => {
      const l = await getLease(first.url, leaseId);
      return l.json.status === 'UPLOADED' ? l.json : undefined;
    });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // Start again only once the retention has ended, so there is something to catch up on.
    const retainUntil = Date.parse(uploaded.retainUntil);
    await eventually(async () => (Date.now() > retainUntil ? true : undefined), 10_000, 20);

    const second = await startProcess({ RETENTION_SECONDS: '1', SWEEP_INTERVAL_SECONDS: '3600', S3_PORT: s3Port });
    // A lease reads EXPIRED as soon as its retention is over; the object goes when the sweep reaches
    // it. No timer tick falls within the test: only the catch-up sweep at start can delete it.
    // The embedded S3 answers only signed requests, as S3 does: ask it with the emulator's key.
    const objectUrl = new URL(Param.Url);
    const [, Bucket, ...key] = objectUrl.pathname.split('/');
    const s3 = new S3Client({ region: 'us-east-1', endpoint: objectUrl.origin, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    const status = () =>
      s3.send(new HeadObjectCommand({ Bucket, Key: decodeURIComponent(key.join('/')) })).then(
        () => 200,
        (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode,
      );
    await eventually(async () => ((await status()) === 404 ? true : undefined), 20_000);
    s3.destroy();
    const expired = (await getLease(second.url, leaseId)).json;
    expect(expired).toMatchObject({ status: 'EXPIRED', expiredAt: uploaded.retainUntil });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
