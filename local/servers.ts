import type { Server, ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';

/** Listening and closing the embedded servers without crashing the process on a bind error. */

/** The host to put in endpoint URLs: wildcard binds are reached over loopback; IPv6 gets brackets. */
export function endpointHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return isIPv6(host) ? `[${host}]` : host;
}

/** Resolves with the bound port once `server` listens; a bind error (e.g. EADDRINUSE) rejects instead of crashing. */
export function whenListening(server: Server): Promise<number> {
  if (server.listening) return Promise.resolve(portOf(server));
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      try {
        resolve(portOf(server));
      } catch (err) {
        reject(err);
      }
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`server has no TCP address: ${address}`);
  return address.port;
}

/** server.close() waits for open connections; idle keep-alive ones go at once, stuck ones after a grace. */
export function closeServer(server: Server, close: (cb: (err?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), 2_000);
    force.unref();
    close((err) => {
      clearTimeout(force);
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** Resolves when the response to a request has been sent (or the request aborted). */
export function responseDone(res: ServerResponse | undefined): Promise<void> {
  if (!res || res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      resolve();
    };
    res.on('finish', done);
    res.on('close', done);
  });
}
