import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';

/**
 * patches/s3rver+3.7.1.patch, on s3rver's file store itself: S3 replaces an object whole, so an overwrite
 * that dies midway leaves the old object (s3rver unlinked it first, and the soak's kill -9 then lost a
 * consumed file that a repeated settle was copying again).
 */
const require = createRequire(import.meta.url);
type Store = {
  putBucket(b: string): Promise<unknown>;
  putObject(o: unknown): Promise<{ size: number; md5: string }>;
  copyObject(sb: string, sk: string, db: string, dk: string): Promise<unknown>;
  getObject(b: string, k: string): Promise<{ content: Readable; metadata: Record<string, string> } | null>;
};
const FilesystemStore = require('s3rver/lib/stores/filesystem') as new (root: string) => Store;
const S3Object = require('s3rver/lib/models/object') as new (bucket: string, key: string, content: unknown, metadata: Record<string, string>) => unknown;
// The fs module fs-extra's copy calls (s3rver's copyObject goes through it).
const gracefulFs = require('graceful-fs') as { copyFile: (...args: unknown[]) => void };

const dir = mkdtempSync(join(tmpdir(), 'ulb-s3rver-patch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const realCopyFile = gracefulFs.copyFile;
afterEach(() => {
  gracefulFs.copyFile = realCopyFile;
});

const text = async (store: Store, key: string) => {
  const object = await store.getObject('b', key);
  const chunks: Buffer[] = [];
  for await (const chunk of object!.content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
};

describe('the patched s3rver file store', () => {
  const store = new FilesystemStore(dir);

  test('a copy over an existing object that fails midway leaves the old object whole, and no temporary file', async () => {
    await store.putBucket('b');
    await store.putObject(new S3Object('b', 'files/x/kept.txt', Buffer.from('the consumed bytes'), { 'content-type': 'text/plain' }));
    await store.putObject(new S3Object('b', 'tmp/x/kept.txt', Buffer.from('the consumed bytes'), { 'content-type': 'text/plain' }));
    // The process "dies" as the content is being copied: the copy of the file fails there.
    gracefulFs.copyFile = (...args: unknown[]) => (args.at(-1) as (e: Error) => void)(new Error('killed mid-copy'));
    await expect(store.copyObject('b', 'tmp/x/kept.txt', 'b', 'files/x/kept.txt')).rejects.toThrow('killed mid-copy');
    gracefulFs.copyFile = realCopyFile;
    expect(await text(store, 'files/x/kept.txt')).toBe('the consumed bytes');
    expect(readdirSync(join(dir, 'b', 'files', 'x')).sort()).toEqual(['kept.txt._S3rver_metadata.json', 'kept.txt._S3rver_object', 'kept.txt._S3rver_object.md5']);
    // And once it can, the copy completes.
    await store.copyObject('b', 'tmp/x/kept.txt', 'b', 'files/x/kept.txt');
    expect(await text(store, 'files/x/kept.txt')).toBe('the consumed bytes');
  });
});
