/**
 * The broker under soak: `npm start` (local/start.ts) as a child process, so a kill -9 is a real one,
 * started again on the same DATA_DIR with the same ports (presigned URLs handed out before still
 * work). Its resident memory is sampled from /proc while it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';

export interface BrokerProcessOptions {
  readonly dataDir: string;
  /** The broker's environment on top of this process's (PORT, S3_PORT, BLOB_FRONT_PORT and DATA_DIR are set here). */
  readonly env: Record<string, string>;
  /** The broker exited without being told to (a crash, or a kill from outside). */
  readonly onUnexpectedExit?: (why: string) => void;
}

export interface RssSample {
  /** Which start of the broker (1: the first, 2: after the restart). */
  readonly run: number;
  /** Seconds since that start. */
  readonly t: number;
  readonly rssMb: number;
}

export interface BrokerProcess {
  readonly url: string;
  readonly s3Endpoint: string;
  readonly rss: readonly RssSample[];
  /** kill -9, then the same command on the same DATA_DIR; resolves once the new one listens. */
  killAndRestart(): Promise<{ killedAt: number; listeningAt: number }>;
  /** SIGTERM (the broker drains its events and exits 0); resolves with the exit code. */
  stop(): Promise<number | string | null>;
  /** What the broker printed (the last 200 kB). */
  output(): string;
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

function rssMbOf(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

export async function startBrokerProcess(options: BrokerProcessOptions): Promise<BrokerProcess> {
  const port = await freePort();
  const ports = new Set([port]);
  const another = async () => {
    let p = await freePort();
    while (ports.has(p)) p = await freePort();
    ports.add(p);
    return String(p);
  };
  // Every port chosen here, kept over the restart: URLs handed out before it must still reach it.
  const env = { ...process.env, ...options.env, PORT: String(port), S3_PORT: await another(), BLOB_FRONT_PORT: await another(), DATA_DIR: options.dataDir };
  const rss: RssSample[] = [];
  let out = '';
  let run = 0;
  let child!: ChildProcess;
  let exited!: Promise<number | string | null>;
  let expectingExit = false;
  let sampler: NodeJS.Timeout | undefined;

  async function launch(): Promise<string> {
    run++;
    const thisRun = run;
    const startedAt = Date.now();
    // The node that runs this script (the project's pinned one), with tsx, exactly as npm start runs it.
    child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // The banner's URL, looked for in everything printed until it appears: a start after a crash prints
    // the lease events it recovered first (local/lease-feed.ts), any number of them.
    let listening: string | undefined;
    let recent = '';
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-200_000);
      if (listening) return;
      recent = (recent + d.toString()).slice(-4_000);
      // The " (" after the URL: a chunk that ends inside the port number is not taken for the whole URL.
      listening = /listening on (http:\/\/[\d.:]+) \(/.exec(recent)?.[1];
    };
    // Everything it prints, kept in DATA_DIR (broker-1.log, broker-2.log after the restart) for a failed run.
    mkdirSync(options.dataDir, { recursive: true });
    const log = createWriteStream(join(options.dataDir, `broker-${thisRun}.log`));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.stdout!.pipe(log);
    child.stderr!.on('data', (d: Buffer) => log.write(d));
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? `killed by ${signal}` : null))));
    const mine = child;
    mine.once('exit', (code, signal) => {
      if (!expectingExit) options.onUnexpectedExit?.(`the broker (start ${thisRun}) exited on its own: code ${code}, signal ${signal}`);
    });
    const pid = child.pid!;
    clearInterval(sampler);
    sampler = setInterval(() => {
      const mb = rssMbOf(pid);
      if (mb !== undefined) rss.push({ run: thisRun, t: (Date.now() - startedAt) / 1000, rssMb: Math.round(mb * 10) / 10 });
    }, 1000);
    sampler.unref();
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (listening) return listening;
      if (child.exitCode !== null) throw new Error(`the broker exited (${child.exitCode}) before listening:\n${out.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`the broker did not listen within 60 s:\n${out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const url = await launch();
  const cleanup = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', cleanup);
  return {
    url,
    s3Endpoint: `http://127.0.0.1:${env.S3_PORT}`,
    rss,
    async killAndRestart() {
      const killedAt = Date.now();
      expectingExit = true;
      child.kill('SIGKILL');
      await exited;
      expectingExit = false;
      await launch();
      return { killedAt, listeningAt: Date.now() };
    },
    async stop() {
      clearInterval(sampler);
      expectingExit = true;
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? `killed by ${child.signalCode}`;
      child.kill('SIGTERM');
      const code = await exited;
      process.off('exit', cleanup);
      return code;
    },
    output: () => out,
  };
}
