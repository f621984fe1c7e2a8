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

type SystemError = Error & { code?: string; syscall?: string; port?: number; address?: string; path?: string; cause?: unknown };

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

/** Which setting a port came from: the server's name, its variable and its default. */
function portSetting(port: number | undefined, settings: StartSettings): { readonly what: string; readonly variable: string } {
  if (port !== undefined && port !== settings.port) {
    if (port === settings.devIssuerPort) return { what: 'the development issuer, DEV_ISSUER_PORT, PORT+3 by default', variable: 'DEV_ISSUER_PORT' };
    if (port === settings.blobFrontPort) return { what: 'the Blob front, BLOB_FRONT_PORT, PORT+2 by default', variable: 'BLOB_FRONT_PORT' };
    if (port === settings.s3Port) return { what: 'the embedded S3, S3_PORT, PORT+1 by default', variable: 'S3_PORT' };
  }
  return { what: 'PORT', variable: 'PORT' };
}

/** The one line for a failure at start-up, or undefined when it is not one we can explain. */
export function startupProblem(error: unknown, settings: StartSettings): string | undefined {
  const config = configErrorIn(error);
  if (config) return config.message;
  for (const e of causes(error)) {
    if (e.code === 'EADDRINUSE') {
      const port = e.port ?? settings.port;
      const { what, variable } = portSetting(e.port, settings);
      if (variable === 'PORT') {
        return `port ${port} (PORT) is already in use: another broker may be running; stop it, or set PORT to a free port (the embedded S3 takes PORT+1 unless S3_PORT is set)`;
      }
      return `port ${port} (${what}) is already in use: another broker may be running; stop it, or set ${variable} (or PORT) to a free port`;
    }
    // A port this user may not listen on (below 1024 without privileges): the port's setting, not DATA_DIR.
    if ((e.code === 'EACCES' || e.code === 'EPERM') && e.syscall === 'listen') {
      const { what, variable } = portSetting(e.port, settings);
      return `port ${e.port ?? settings.port} (${what}) cannot be listened on (${e.code}: ports below 1024 need privileges): set ${variable} to a port from 1024 to 65535, or 0 for any free one`;
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
