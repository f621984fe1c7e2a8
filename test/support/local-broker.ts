import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalBroker, type LocalBroker, type LocalBrokerOptions } from '../../local/server.js';

process.env.BROKER_LOG_LEVEL ??= 'silent';

export interface TestBroker extends LocalBroker {
  readonly dataDir: string;
  /** Stops the broker and removes its data. */
  dispose(): Promise<void>;
}

/** A broker on a free port with its own data directory; the sweep runs only when a test asks. */
export async function startTestBroker(options: Partial<LocalBrokerOptions> = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ulb-test-'));
  // The per-workspace rate limit has its own test; elsewhere bursts must not be throttled.
  const env = { ALIBABA_RATE_LIMIT_PER_SECOND: '0', ...options.env };
  const broker = await startLocalBroker({ port: 0, sweepIntervalSeconds: 0, ...options, env, dataDir });
  return {
    ...broker,
    dataDir,
    async dispose() {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const AZURE_PATH = (o: { sub?: string; rg?: string; ws?: string; name?: string; version?: string; registry?: string } = {}) =>
  `/subscriptions/${o.sub ?? '00000000-1111-2222-3333-444444444444'}/resourceGroups/${o.rg ?? 'test-rg'}/providers/Microsoft.MachineLearningServices/${
    o.registry ? `registries/${o.registry}` : `workspaces/${o.ws ?? 'my-aml-workspace'}`
  }/codes/${o.name ?? 'my-code'}/versions/${o.version ?? '1'}/startPendingUpload`;

export const API_VERSION = '2025-09-01';

export async function postJson(base: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return readResponse(res);
}

/** Status, headers, raw text and, when the body is JSON, the parsed body. */
export async function readResponse(res: Response): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function postForm(base: string, path: string, form: Record<string, string> | string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) as any, text };
}

export async function getLease(base: string, leaseId: string) {
  const res = await fetch(`${base}/leases/${leaseId}`);
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

/**
 * Polls until `check` returns a value. The time limit only bounds a test that would otherwise hang:
 * it is generous so that a loaded machine does not fail a test whose condition does come true.
 */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
