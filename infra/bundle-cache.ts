/**
 * Lambda bundles keyed by their inputs' content, built once and then reused by every synth (`cdk synth`,
 * `cdk deploy`, the tests' stacks), the bundle tests and the bench.
 *
 * Why not NodejsFunction's own bundling: its asset hash is the hash of esbuild's output, so every synth
 * runs esbuild for every Lambda just to learn the hash, and the tests and the bench had to bundle again
 * through the esbuild API with a second copy of the settings. Here the key is known before building:
 * the content of every file that can enter a bundle. test/infra/bundling.test.ts checks that each
 * bundle's esbuild inputs are all covered by it.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { BUNDLE_FILE, buildBundle } from './bundling.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Everything a bundle can be made of, relative to the repository root: our sources (a Lambda imports
 * only lambdas/ and shared/), how they are compiled (tsconfig.json, the bundling options and this
 * cache), and the dependencies (the lockfile pins node_modules; the patches change it).
 */
export const BUNDLE_INPUTS: readonly string[] = [
  'lambdas',
  'shared',
  'infra/bundling.ts',
  'infra/bundle-cache.ts',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
  'patches',
];

/** Bumped when the layout of a cache entry changes. */
const CACHE_FORMAT = 'ulb-bundle-v1';

/** Entries kept; the least recently used beyond this are removed (each source state makes one per Lambda). */
export const CACHE_ENTRIES_KEPT = 32;

export const DEFAULT_CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'upload-lease-broker', 'bundles');

const filesUnder = (root: string, path: string): string[] => {
  const full = join(root, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(root, join(d.parentPath, d.name)).split(sep).join('/'));
};

/** sha256 over the sorted relative paths and contents of `inputs` under `root`. */
export function inputsHash(root: string, inputs: readonly string[] = BUNDLE_INPUTS): string {
  const hash = createHash('sha256').update(CACHE_FORMAT);
  for (const file of inputs.flatMap((p) => filesUnder(root, p)).sort()) {
    hash.update(`\0${file}\0`).update(readFileSync(join(root, file)));
  }
  return hash.digest('hex');
}

/** One read of the inputs per process: a synth asks for eight keys, a bench for as many. */
let rootHash: string | undefined;

/** The content key of lambdas/<name>'s bundle. */
export function bundleKey(name: string): string {
  rootHash ??= inputsHash(ROOT);
  return createHash('sha256').update(`${rootHash}\0${name}`).digest('hex');
}

export interface CachedBundle {
  /** The deployment package: index.mjs and index.mjs.map, nothing else. */
  readonly assetDir: string;
  readonly file: string;
  readonly metafile: Metafile;
  /** False when an earlier build was reused. */
  readonly built: boolean;
}

/** lambdas/<name> bundled, from the cache when its key is there, built into it otherwise. */
export function lambdaBundle(name: string, cacheDir: string = DEFAULT_CACHE_DIR): CachedBundle {
  const entry = join(cacheDir, `${name}.${bundleKey(name).slice(0, 32)}`);
  const cached = (built: boolean): CachedBundle => ({
    assetDir: join(entry, 'asset'),
    file: join(entry, 'asset', BUNDLE_FILE),
    metafile: JSON.parse(readFileSync(join(entry, 'metafile.json'), 'utf8')) as Metafile,
    built,
  });
  if (existsSync(join(entry, 'metafile.json'))) {
    const now = new Date();
    utimesSync(entry, now, now); // recently used: kept by the pruning below
    return cached(false);
  }
  // Built beside the entry at the same depth (the source map's paths are relative to it), then
  // renamed into place: a reader sees a whole entry or none, and two builders at once are harmless.
  const building = `${entry}.building-${process.pid}-${Date.now()}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  try {
    const metafile = buildBundle(join(ROOT, 'lambdas', name, 'index.ts'), join(building, 'asset'));
    // The outputs are named where they were built; name them where they are kept.
    const outputs = Object.fromEntries(Object.entries(metafile.outputs).map(([out, v]) => [out.replace(relative(ROOT, building), relative(ROOT, entry)), v]));
    writeFileSync(join(building, 'metafile.json'), JSON.stringify({ ...metafile, outputs }));
    renameSync(building, entry);
  } catch (e) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(entry, 'metafile.json'))) throw e; // else another process published it first
  }
  prune(cacheDir);
  return cached(true);
}

/** Copies lambdas/<name>'s bundle into `outputDir` (CDK's local bundling hook). */
export function copyLambdaBundle(name: string, outputDir: string, cacheDir: string = DEFAULT_CACHE_DIR): void {
  cpSync(lambdaBundle(name, cacheDir).assetDir, outputDir, { recursive: true });
}

/** A build left by a killed process is removed once it is this old; a live one takes seconds. */
const ABANDONED_BUILD_MS = 60 * 60 * 1000;

function prune(cacheDir: string): void {
  const all = readdirSync(cacheDir).map((n) => ({ path: join(cacheDir, n), mtime: statSync(join(cacheDir, n)).mtimeMs }));
  const building = all.filter((e) => e.path.includes('.building-'));
  const entries = all.filter((e) => !e.path.includes('.building-')).sort((a, b) => b.mtime - a.mtime);
  const abandoned = building.filter((e) => Date.now() - e.mtime > ABANDONED_BUILD_MS);
  for (const { path } of [...entries.slice(CACHE_ENTRIES_KEPT), ...abandoned]) rmSync(path, { recursive: true, force: true });
}
