/**
 * LOCAL_FAULTS: opt-in fault injection for the local mode (the soak run, scripts/soak/). Off unless the
 * variable is set; nothing deployed imports local/. Two kinds of fault:
 *
 * - DynamoDB: a proxy in front of the embedded DynamoDB that answers a fraction of requests with
 *   DynamoDB's throttling error (400 ProvisionedThroughputExceededException, the JSON shape DynamoDB
 *   sends) and holds a fraction back for a while (latency spikes) before forwarding them.
 * - S3 events: a fraction of object-created events delivered a second time, later (duplicates that
 *   arrive after the events of later uploads, possibly after the lease was consumed), and a fraction
 *   delivered late instead of at once (reordered). S3_EVENT_DELAY_MS still applies on top.
 *
 * LOCAL_FAULTS is a comma-separated list of name=value:
 *   ddb-throttle=0.05      fraction of DynamoDB requests answered with throttling
 *   ddb-delay=0.05         fraction of DynamoDB requests delayed
 *   ddb-delay-ms=800       the longest such delay (each one is uniform in 0..this)
 *   ddb-spike-every-ms=0   a spike starts every this many ms (0: none): for its length, half of the
 *                          DynamoDB requests are throttled and the rest all delayed (a hot partition,
 *                          not a steady rate)
 *   ddb-spike-ms=2000      how long each spike lasts
 *   s3-duplicate=0.1       fraction of S3 events delivered twice
 *   s3-late=0.1            fraction of S3 events delivered late instead of at once
 *   s3-late-ms=2000        the longest lateness (uniform in 0..this), for duplicates too
 * Counts of what was injected are kept in `$DATA_DIR/local-faults.json` (cumulative over restarts,
 * rewritten every half second: a kill -9 loses at most the last half second of counts).
 */
import { readFileSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ConfigError } from '../shared/config.js';
import type { Emulators } from './emulators.js';
import { closeServer, whenListening } from './servers.js';

export interface FaultSettings {
  readonly ddbThrottle: number;
  readonly ddbDelay: number;
  readonly ddbDelayMs: number;
  readonly ddbSpikeEveryMs: number;
  readonly ddbSpikeMs: number;
  readonly s3Duplicate: number;
  readonly s3Late: number;
  readonly s3LateMs: number;
}

export interface FaultCounts {
  ddbRequests: number;
  ddbThrottled: number;
  ddbDelayed: number;
  /** Requests that arrived during a spike (each one throttled or delayed, counted there too). */
  ddbInSpike: number;
  s3Events: number;
  s3Duplicated: number;
  s3Late: number;
}

export const FAULT_COUNTS_FILE = 'local-faults.json';

const NAMES: Record<string, keyof FaultSettings> = {
  'ddb-throttle': 'ddbThrottle',
  'ddb-delay': 'ddbDelay',
  'ddb-delay-ms': 'ddbDelayMs',
  'ddb-spike-every-ms': 'ddbSpikeEveryMs',
  'ddb-spike-ms': 'ddbSpikeMs',
  's3-duplicate': 's3Duplicate',
  's3-late': 's3Late',
  's3-late-ms': 's3LateMs',
};
const FRACTIONS = new Set<keyof FaultSettings>(['ddbThrottle', 'ddbDelay', 's3Duplicate', 's3Late']);

/** The settings LOCAL_FAULTS names, or undefined when it is unset (no fault, nothing started). */
export function faultSettings(env: Readonly<Record<string, string | undefined>>): FaultSettings | undefined {
  const raw = env.LOCAL_FAULTS?.trim();
  if (!raw) return undefined;
  const settings: Record<keyof FaultSettings, number> = { ddbThrottle: 0, ddbDelay: 0, ddbDelayMs: 800, ddbSpikeEveryMs: 0, ddbSpikeMs: 2000, s3Duplicate: 0, s3Late: 0, s3LateMs: 2000 };
  for (const part of raw.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    const key = NAMES[name ?? ''];
    const n = Number(value);
    if (!key || value === undefined || value === '' || !Number.isFinite(n) || n < 0 || (FRACTIONS.has(key) ? n > 1 : n > 600_000)) {
      throw new ConfigError(`LOCAL_FAULTS: "${part}" is not one of ${Object.keys(NAMES).join(', ')} with a fraction (0..1) or milliseconds`);
    }
    settings[key] = n;
  }
  if (settings.ddbSpikeEveryMs > 0 && settings.ddbSpikeMs >= settings.ddbSpikeEveryMs) {
    throw new ConfigError(`LOCAL_FAULTS: ddb-spike-ms (${settings.ddbSpikeMs}) must be shorter than ddb-spike-every-ms (${settings.ddbSpikeEveryMs}), or DynamoDB never recovers`);
  }
  return settings;
}

/** Whether `sinceStartMs` into the run falls in a spike: the last ddb-spike-ms of every ddb-spike-every-ms. */
export function inDdbSpike(settings: Pick<FaultSettings, 'ddbSpikeEveryMs' | 'ddbSpikeMs'>, sinceStartMs: number): boolean {
  if (settings.ddbSpikeEveryMs <= 0) return false;
  return sinceStartMs % settings.ddbSpikeEveryMs >= settings.ddbSpikeEveryMs - settings.ddbSpikeMs;
}

export interface LocalFaults {
  /** Wraps the S3 event callback: duplicates and late deliveries, tracked so settling waits for them. */
  s3Events<E>(deliver: (event: E) => Promise<void>): (event: E) => Promise<void>;
  /** The emulators with DynamoDB behind the fault proxy; settling and closing cover the late events. */
  wrapEmulators(emulators: Emulators): Promise<Emulators>;
}

function loadCounts(file: string): FaultCounts {
  const zero: FaultCounts = { ddbRequests: 0, ddbThrottled: 0, ddbDelayed: 0, ddbInSpike: 0, s3Events: 0, s3Duplicated: 0, s3Late: 0 };
  try {
    return { ...zero, ...(JSON.parse(readFileSync(file, 'utf8')) as Partial<FaultCounts>) };
  } catch {
    return zero;
  }
}

const THROTTLED_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API. (injected by LOCAL_FAULTS)',
});

/** LOCAL_FAULTS as set in `env`, or undefined when unset. */
export function localFaults(env: Readonly<Record<string, string | undefined>>, dataDir: string): LocalFaults | undefined {
  const settings = faultSettings(env);
  if (!settings) return undefined;
  const countsFile = join(dataDir, FAULT_COUNTS_FILE);
  const counts = loadCounts(countsFile);
  const pending = new Set<Promise<void>>();
  let dirty = true;
  let writing = false;
  const flush = async () => {
    if (!dirty || writing) return;
    dirty = false;
    writing = true;
    try {
      await writeFile(`${countsFile}.tmp`, JSON.stringify(counts));
      await rename(`${countsFile}.tmp`, countsFile);
    } catch {
      dirty = true;
    } finally {
      writing = false;
    }
  };
  const flushTimer = setInterval(() => void flush(), 500);
  flushTimer.unref();
  const count = (key: keyof FaultCounts) => {
    counts[key]++;
    dirty = true;
  };
  const later = (ms: number, work: () => Promise<void>) => {
    const done: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, Math.random() * ms))
      .then(work)
      .catch(() => undefined)
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  // Spikes are timed from this start, so a restarted broker has its own (a kill -9 is not a quiet period).
  const startedAt = Date.now();
  const inSpike = (now: number) => inDdbSpike(settings, now - startedAt);
  const settled = async () => {
    while (pending.size > 0) await Promise.all(pending);
  };

  return {
    s3Events(deliver) {
      return async (event) => {
        count('s3Events');
        if (Math.random() < settings.s3Duplicate) {
          count('s3Duplicated');
          later(settings.s3LateMs, () => deliver(event));
        }
        if (Math.random() < settings.s3Late) {
          count('s3Late');
          later(settings.s3LateMs, () => deliver(event));
          return;
        }
        await deliver(event);
      };
    },
    async wrapEmulators(emulators) {
      const target = new URL(emulators.dynamoEndpoint);
      const agent = new Agent({ keepAlive: true, maxSockets: 256 });
      const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
        const upstream = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      };
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          count('ddbRequests');
          const spiking = inSpike(Date.now());
          if (spiking) count('ddbInSpike');
          if (Math.random() < (spiking ? Math.max(settings.ddbThrottle, 0.5) : settings.ddbThrottle)) {
            count('ddbThrottled');
            res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'LOCALFAULT', 'content-length': Buffer.byteLength(THROTTLED_BODY) });
            res.end(THROTTLED_BODY);
            return;
          }
          if (spiking || Math.random() < settings.ddbDelay) {
            count('ddbDelayed');
            setTimeout(() => forward(req, body, res), Math.random() * settings.ddbDelayMs);
            return;
          }
          forward(req, body, res);
        });
      });
      server.listen(0, target.hostname);
      const port = await whenListening(server);
      return {
        s3Endpoint: emulators.s3Endpoint,
        dynamoEndpoint: `http://${target.hostname}:${port}`,
        async eventsSettled() {
          // Late events make more deliveries, and deliveries make late events: until both are still.
          for (let round = 0; round < 3; round++) {
            await emulators.eventsSettled();
            await settled();
          }
        },
        async close() {
          await settled();
          clearInterval(flushTimer);
          await flush();
          await emulators.close();
          server.closeAllConnections();
          await closeServer(server, (cb) => server.close(cb)).catch(() => undefined);
          agent.destroy();
        },
      };
    },
  };
}
