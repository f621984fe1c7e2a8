import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Files that hold a secret (access keys, the development issuer's key) are readable by their owner only. */
export const OWNER_ONLY = 0o600;

/**
 * Writes `text` to `path`, owner-only, atomically: a temporary file beside it, 0600 from its creation,
 * renamed over it. A reader (a broker following the keys file, dev-token reading the issuer's key)
 * sees the old content or the new, never a truncated file; and the old file's mode, however open, goes
 * with it. Its folder (DATA_DIR) is made if missing. A broker following the file sees the new inode
 * (shared/auth/followed-file.ts compares it) and reads it again.
 */
export function writeOwnerOnly(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, text, { mode: OWNER_ONLY, flag: 'wx' });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
