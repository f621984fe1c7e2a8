import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigest {
  readonly size: number;
  /** Lower-case hex. */
  readonly md5Hex: string;
}

/** Size and MD5 of a file, streamed: the file is never held in memory whole. */
export async function digestFile(path: string): Promise<FileDigest> {
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, md5Hex: hash.digest('hex') };
}
