/**
 * What `npm start` says when it cannot start: one line naming the setting to change, instead of a
 * stack trace about a port the user never set. DEBUG=1 (or any DEBUG) prints the trace as well.
 */
export interface StartSettings {
  readonly port: number;
  readonly s3Port: number;
  /** The Blob front's (AZURE_UPLOADS=blob-front). */
  readonly blobFrontPort?: number;
  readonly dataDir: string;
}

type SystemError = Error & { code?: string; port?: number; address?: string; path?: string; cause?: unknown };

/** The one line for a failure at start-up, or undefined when it is not one we can explain. */
export function startupProblem(error: unknown, settings: StartSettings): string | undefined {
  for (let e = error as SystemError | undefined, depth = 0; e && depth < 5; e = e.cause as SystemError | undefined, depth++) {
    if (e.code === 'EADDRINUSE') {
      const port = e.port;
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
