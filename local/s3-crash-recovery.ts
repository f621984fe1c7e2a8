import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const OBJECT = '._S3rver_object';
const METADATA = '._S3rver_metadata.json';
const MD5 = '._S3rver_object.md5';
/** The patched s3rver (patches/s3rver+3.7.1.patch) writes each file under this mark, then renames it. */
const TEMP_MARK = '.ulb-tmp-';

/**
 * At start, before the embedded S3 serves: the remains of writes a crash (kill -9) cut short, removed.
 * s3rver stores an object as separate files (content, checksum, metadata) and answers a PUT or copy only
 * once all are written, so content without metadata, or metadata without content, belongs to a write
 * nobody was told had happened: as in S3, it did not. Left in place, s3rver answers 500 for that key
 * forever (the soak's kill -9 found such objects); removed, a retried write (the settler's move, a
 * client's PUT) stores it whole. A file the patched s3rver was still writing under its temporary name
 * is removed too: the object it was replacing, if any, is whole. Returns the keys removed.
 */
export async function removeTornObjects(bucketDirectory: string): Promise<string[]> {
  const removed: string[] = [];
  async function walk(dir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const present = new Set(names);
    for (const name of names) {
      const path = join(dir, name);
      if (name.includes(TEMP_MARK)) {
        await rm(path, { force: true });
      } else if (name.endsWith(OBJECT) || name.endsWith(METADATA)) {
        const base = name.endsWith(OBJECT) ? name.slice(0, -OBJECT.length) : name.slice(0, -METADATA.length);
        const whole = present.has(base + OBJECT) && present.has(base + METADATA);
        if (!whole && !removed.includes(join(dir, base))) {
          removed.push(join(dir, base));
          await Promise.all([OBJECT, METADATA, MD5].map((suffix) => rm(join(dir, base + suffix), { force: true })));
        }
      } else if (!name.endsWith(MD5) && (await stat(path)).isDirectory()) {
        await walk(path);
      }
    }
  }
  await walk(bucketDirectory);
  return removed.map((path) => path.slice(bucketDirectory.length + 1));
}
