import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The local Blob front's SAS signing key: what the stack generates into Secrets Manager at deploy. It
 * is kept in `$DATA_DIR` (owner-only) so SAS URLs handed out before a restart still verify after it,
 * as the embedded S3's fixed port keeps presigned URLs valid.
 */
export const FRONT_KEY_FILE = 'blob-front-signing-key';

export async function localFrontSigningKey(dataDir: string): Promise<string> {
  const file = join(dataDir, FRONT_KEY_FILE);
  try {
    const key = (await readFile(file, 'utf8')).trim();
    if (key.length >= 32) return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(48).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}
