import { readFileSync, statSync } from 'node:fs';
import { log } from '../log.js';

/**
 * A local credentials file (ACCESS_KEYS_FILE, AZURE_GRANTS_FILE), parsed at start, where a bad file stops
 * the start, and parsed again whenever it changes (a stat per lookup: microseconds), so a revoked key or
 * grant stops working at its next use, not at the next restart. A file that later becomes unreadable
 * or malformed fails closed: nothing in it is honoured until it is fixed.
 */
export function followedFile<T>(path: string, parse: (text: string) => T, closed: T): () => T {
  const stamp = () => {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  };
  let seen = stamp();
  let value = parse(readFileSync(path, 'utf8'));
  return () => {
    try {
      const now = stamp();
      if (now !== seen) {
        seen = now;
        value = parse(readFileSync(path, 'utf8'));
      }
    } catch (error) {
      seen = '';
      value = closed;
      log.error('credentials file unreadable or malformed: nothing in it is honoured until it is fixed', { path }, error);
    }
    return value;
  };
}
