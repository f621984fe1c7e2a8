/**
 * What `npm start` says when it cannot start: one line naming the setting to change, instead of a
 * stack trace about a port the user never set. DEBUG=1 (or any DEBUG) prints the trace as well.
 *
 * The rule, in one place: a ConfigError (shared/config.ts: a setting, or a file a setting names, that
 * the user can fix) is its message, exit code 2; a problem of the machine we recognise (a port in use,
 * DATA_DIR not writable) is one line too, exit code 1; anything else is a bug, printed whole.
 */
import { ConfigError } from '../shared/config.js';

export interface StartSettings {
  /** Unknown when reading PORT itself failed. */
  readonly port?: number;
  readonly s3Port?: number;
  /** The Blob front's (AZURE_UPLOADS=blob-front). */
  readonly blobFrontPort?: number;
  /** The development issuer's (JWT_ISSUER=dev). */
  readonly devIssuerPort?: number;
  readonly dataDir: string;
}

/** How a failed start is reported: `line` (after "cannot start: ") when it is one we can explain. */
export interface StartFailure {
  readonly line: string | undefined;
  /** 2: a setting to change; 1: anything else. */
  readonly exitCode: 1 | 2;
}

type SystemError = Error & { code?: string; port?: number; address?: string; path?: string; cause?: unknown };

/** The error and its causes (a few deep): where a ConfigError or a system error may be wrapped. */
function* causes(error: unknown): Generator<SystemError> {
  for (let e = error as SystemError | undefined, depth = 0; e && depth < 5; e = e.cause as SystemError | undefined, depth++) yield e;
}

/** A configuration error the user can fix by changing a setting (or the file it names). */
export const configErrorIn = (error: unknown): ConfigError | undefined => [...causes(error)].find((e): e is ConfigError => e instanceof ConfigError);

/** What a failed start prints and how it exits (local/start.ts prints it; DEBUG adds the trace). */
export function startFailure(error: unknown, settings: StartSettings): StartFailure {
  return { line: startupProblem(error, settings), exitCode: configErrorIn(error) ? 2 : 1 };
}

/** The one line for a failure at start-up, or undefined when it is not one we can explain. */
export function startupProblem(error: unknown, settings: StartSettings): string | undefined {
  const config = configErrorIn(error);
  if (config) return config.message;
  for (const e of causes(error)) {
    if (e.code === 'EADDRINUSE') {
      const port = e.port;
      if (port !== undefined && port === settings.devIssuerPort && port !== settings.port) {
        return `port ${port} (the development issuer, DEV_ISSUER_PORT, PORT+3 by default) is already in use: another broker may be running; stop it, or set DEV_ISSUER_PORT (or PORT) to a free port`;
      }
      if (port !== undefined && port === settings.blobFrontPort && port !== settings.port) {
        return `port ${port} (the Blob front, BLOB_FRONT_PORT, PORT+2 by default) is already in use: another broker may be running; stop it, or set BLOB_FRONT_PORT (or PORT) to a free port`;
      }
      if (port !== undefined && port === settings.s3Port && port !== settings.port) {
        return `port ${port} (the embedded S3, S3_PORT, PORT+1 by default) is already in use: another broker may be running; stop it, or set S3_PORT (or PORT) to a free port`;
      }
      return `port ${port ?? settings.port} (PORT) is already in use: another broker may be running; stop it, or set PORT to a free port (the embedded S3 takes PORT+1 unless S3_PORT is set)`;
    }
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      return `DATA_DIR ${settings.dataDir} is not writable (${e.path ?? 'permission denied'}): set DATA_DIR to a directory you can write`;
    }
    if (e.code === 'EEXIST' || e.code === 'ENOTDIR') {
      return `DATA_DIR ${settings.dataDir} is a file, not a directory: set DATA_DIR to a directory (it is created if missing)`;
    }
    if (/data directory .* is in use by another process/.test(e.message ?? '')) {
      return `DATA_DIR ${settings.dataDir} is in use by another broker: stop it, or set DATA_DIR to another directory`;
    }
  }
  return undefined;
}
