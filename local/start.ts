/**
 * `npm start`: the broker on 127.0.0.1 with embedded S3 and DynamoDB. No AWS account, no Docker.
 * Settings come from the environment: PORT, DATA_DIR, SWEEP_INTERVAL_SECONDS, S3_PORT, BLOB_FRONT_PORT,
 * DEV_ISSUER_PORT, AUTH and its settings (auth-settings.ts) and the broker's own (RETENTION_SECONDS, ...).
 */
import { mkdirSync } from 'node:fs';
import { ConfigError } from '../shared/config.js';
import { startBanner } from './banner.js';
import { wantsDevIssuer } from './auth-settings.js';
import { localDataDir } from './data-files.js';
import { startLocalBroker, wantsBlobFront } from './server.js';
import { startFailure, type StartSettings } from './startup-errors.js';

/**
 * A failed start: one line, `cannot start: ...`, for a setting to change (exit 2) or a problem we
 * recognise (exit 1); the trace only with DEBUG, or when it is none of those (a bug: shown whole).
 */
function failStart(error: unknown, settings: StartSettings): never {
  const failure = startFailure(error, settings);
  if (failure.line === undefined || process.env.DEBUG) console.error(error);
  if (failure.line !== undefined) console.error(`cannot start: ${failure.line}`);
  process.exit(failure.exitCode);
}

/** A whole number from the environment; a port (`max` 65535) also when it defaults to PORT+1 or PORT+2. */
function intFromEnv(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    const what = max === PORT_MAX ? `a port number from 0 to ${PORT_MAX}` : 'a non-negative integer';
    failStart(new ConfigError(`${name} must be ${what}, got ${raw ? `"${raw}"` : `${value} (from PORT): set ${name} or a lower PORT`}`), { dataDir });
  }
  return value;
}
const PORT_MAX = 65_535;

const dataDir = localDataDir(process.env);
const port = intFromEnv('PORT', 3000, PORT_MAX);
// A fixed S3 port keeps URLs handed out before a restart valid after it.
const s3Port = intFromEnv('S3_PORT', port === 0 ? 0 : port + 1, PORT_MAX);
/** The port of a server only some settings start: read (and checked) only when it will be used. */
const optionalPort = (name: string, used: boolean, offset: number) => (used ? intFromEnv(name, port === 0 ? 0 : port + offset, PORT_MAX) : undefined);
// Only used with AZURE_UPLOADS=blob-front; fixed for the same reason (SAS URLs name it).
const blobFrontPort = optionalPort('BLOB_FRONT_PORT', wantsBlobFront(process.env), 2);
// Only used with JWT_ISSUER=dev; fixed because its tokens name it (iss).
const devIssuerPort = optionalPort('DEV_ISSUER_PORT', wantsDevIssuer(process.env), 3);
let broker: Awaited<ReturnType<typeof startLocalBroker>>;
try {
  mkdirSync(dataDir, { recursive: true });
  broker = await startLocalBroker({
    dataDir,
    port,
    s3Port,
    ...(blobFrontPort === undefined ? {} : { blobFrontPort }),
    ...(devIssuerPort === undefined ? {} : { devIssuerPort }),
    sweepIntervalSeconds: intFromEnv('SWEEP_INTERVAL_SECONDS', 60),
    env: process.env,
    printLeaseEvents: true,
  });
} catch (error) {
  failStart(error, { port, s3Port, blobFrontPort, devIssuerPort, dataDir });
}

console.log(startBanner(broker, dataDir));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    broker.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
