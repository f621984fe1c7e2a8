import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { removeTornObjects } from '../../local/s3-crash-recovery.js';

/** What a kill -9 in the middle of an s3rver write leaves is removed at the next start; whole objects stay. */
const dir = mkdtempSync(join(tmpdir(), 'ulb-torn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const put = (key: string, parts: readonly ('object' | 'md5' | 'metadata')[]) => {
  const base = join(dir, key);
  mkdirSync(join(base, '..'), { recursive: true });
  for (const part of parts) writeFileSync(`${base}${{ object: '._S3rver_object', md5: '._S3rver_object.md5', metadata: '._S3rver_metadata.json' }[part]}`, part);
};
const present = (key: string) => ['._S3rver_object', '._S3rver_object.md5', '._S3rver_metadata.json'].filter((s) => existsSync(join(dir, key) + s)).length;

describe('removeTornObjects', () => {
  test('content without metadata, and metadata without content, are removed with their checksum; whole objects stay', async () => {
    put('files/a/whole.txt', ['object', 'md5', 'metadata']);
    put('files/b/torn.txt', ['object', 'md5']);
    put('tmp/c/content-only.txt', ['object']);
    put('tmp/d/metadata-only.txt', ['metadata']);
    put('tmp/e/deep/er/whole.txt', ['object', 'metadata']);
    expect((await removeTornObjects(dir)).sort()).toEqual(['files/b/torn.txt', 'tmp/c/content-only.txt', 'tmp/d/metadata-only.txt']);
    expect([present('files/a/whole.txt'), present('files/b/torn.txt'), present('tmp/c/content-only.txt'), present('tmp/d/metadata-only.txt'), present('tmp/e/deep/er/whole.txt')]).toEqual([3, 0, 0, 0, 2]);
    expect(await removeTornObjects(dir)).toEqual([]);
    expect(await removeTornObjects(join(dir, 'no-such-bucket'))).toEqual([]);
  });

  test("an overwrite cut short leaves the patched s3rver's temporary files: they go, the object they were replacing stays whole", async () => {
    put('files/f/kept.txt', ['object', 'md5', 'metadata']);
    const base = join(dir, 'files/f/kept.txt');
    writeFileSync(`${base}._S3rver_object.ulb-tmp-0a1b2c3d4e5f`, 'half of the new');
    writeFileSync(`${base}._S3rver_metadata.json.ulb-tmp-665544332211`, '{"content-ty');
    expect(await removeTornObjects(dir)).toEqual([]);
    expect(readdirSync(join(dir, 'files/f')).sort()).toEqual(['kept.txt._S3rver_metadata.json', 'kept.txt._S3rver_object', 'kept.txt._S3rver_object.md5']);
  });
});
