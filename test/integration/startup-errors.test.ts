import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { startupProblem } from '../../local/startup-errors.js';
import { startTestBroker } from '../support/local-broker.js';

/** `npm start` failing to start, as a user sees it: one line naming the setting, exit code 1, no trace. */
const root = mkdtempSync(join(tmpdir(), 'ulb-startup-'));
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(root, { recursive: true, force: true });
});

const occupied = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port));
    servers.push(srv);
  });

function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      env: { ...process.env, PORT: '0', BROKER_LOG_LEVEL: 'silent', DEBUG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A broker that did start is not what these tests expect: stop it so the test fails rather than hangs.
    child.stdout.on('data', () => /listening on/.test(stdout) && child.kill('SIGKILL'));
    child.once('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
};

describe('npm start: start-up errors a person can act on', () => {
  test('PORT in use: one line naming PORT', async () => {
    const port = await occupied();
    const { code, stderr } = await start({ PORT: String(port), DATA_DIR: join(root, 'a') });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toMatch(new RegExp(`^cannot start: port ${port} \\(PORT\\) is already in use.*set PORT`));
  }, 30_000);

  test('the embedded S3 port in use (a second npm start): one line naming S3_PORT, not a raw EADDRINUSE', async () => {
    const s3 = await occupied();
    const { code, stderr } = await start({ S3_PORT: String(s3), DATA_DIR: join(root, 'b') });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toMatch(new RegExp(`^cannot start: port ${s3} \\(the embedded S3, S3_PORT.*set S3_PORT`));
  }, 30_000);

  test('DATA_DIR that is a file: one line naming DATA_DIR', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    const { code, stderr } = await start({ DATA_DIR: file });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toBe(`cannot start: DATA_DIR ${file} is a file, not a directory: set DATA_DIR to a directory (it is created if missing)`);
  }, 30_000);

  test('DATA_DIR in use by another broker: one line naming DATA_DIR', async () => {
    const dataDir = join(root, 'shared');
    const running = await startTestBroker({ dataDir });
    try {
      const { code, stderr } = await start({ DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(oneLine(stderr)).toMatch(/^cannot start: DATA_DIR .* is in use by another broker: stop it, or set DATA_DIR/);
    } finally {
      await running.close();
    }
  }, 30_000);

  test('DEBUG shows the trace too; an error nobody explained is shown whole', async () => {
    const port = await occupied();
    const { stderr } = await start({ PORT: String(port), DATA_DIR: join(root, 'c'), DEBUG: '1' });
    expect(stderr).toMatch(/EADDRINUSE/);
    expect(stderr).toMatch(/cannot start: port/);
    expect(startupProblem(new Error('something else'), { port: 1, s3Port: 2, dataDir: '/d' })).toBeUndefined();
  }, 30_000);

  test('a DATA_DIR that cannot be written is named (as root every directory is writable, so the error is made here)', () => {
    const error = Object.assign(new Error("EACCES: permission denied, mkdir '/srv/data/s3'"), { code: 'EACCES', path: '/srv/data/s3' });
    expect(startupProblem(error, { port: 3000, s3Port: 3001, dataDir: '/srv/data' })).toBe(
      'DATA_DIR /srv/data is not writable (/srv/data/s3): set DATA_DIR to a directory you can write',
    );
  });

  test('a port this user may not listen on names its setting, not DATA_DIR; a busy development issuer port names DEV_ISSUER_PORT', () => {
    const settings = { port: 3000, s3Port: 3001, devIssuerPort: 80, dataDir: '/srv/data' };
    const denied = (port: number) => Object.assign(new Error(`listen EACCES: permission denied 127.0.0.1:${port}`), { code: 'EACCES', syscall: 'listen', port });
    expect(startupProblem(denied(80), settings)).toBe(
      'port 80 (the development issuer, DEV_ISSUER_PORT, PORT+3 by default) cannot be listened on (EACCES: ports below 1024 need privileges): set DEV_ISSUER_PORT to a port from 1024 to 65535, or 0 for any free one',
    );
    expect(startupProblem(denied(3000), settings)).toMatch(/^port 3000 \(PORT\) cannot be listened on .*: set PORT to a port from 1024/);
    const busy = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', syscall: 'listen', port: 80 });
    expect(startupProblem(busy, settings)).toBe(
      'port 80 (the development issuer, DEV_ISSUER_PORT, PORT+3 by default) is already in use: another broker may be running; stop it, or set DEV_ISSUER_PORT (or PORT) to a free port',
    );
  });
});
