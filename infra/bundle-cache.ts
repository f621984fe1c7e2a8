/**
 * Lambda bundles built once per content, then reused by every synth (`cdk synth`, `cdk deploy`, the
 * tests' stacks), the bundle tests and the bench.
 *
 * Why not NodejsFunction's own bundling: it runs esbuild for every Lambda on every synth, and the tests
 * and the bench had to bundle again through the esbuild API with a second copy of the settings.
 *
 * An entry is found by a key over our sources, the lockfile and the bundling code (`BUNDLE_INPUTS`),
 * and reused only while it is current: it records the sha256 of every file esbuild read (node_modules
 * included, so an install that does not match the lockfile is caught) and of each file it holds, and
 * all must still match. test/infra/bundling.test.ts checks that the key covers every input of ours.
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

/** What an entry was built from and what it holds: sha256 of every file esbuild read, and of each output. */
interface Manifest {
  readonly inputs: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The files esbuild read, relative to the root (virtual inputs such as `<define:...>` are not files). */
const inputFiles = (metafile: Metafile) => Object.keys(metafile.inputs).filter((i) => existsSync(join(ROOT, i)));

/**
 * An entry is reused only while every file it was built from (node_modules included: the key covers
 * the lockfile, not what is installed) and every file it holds still has the recorded content.
 */
function isCurrent(entry: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(entry, 'manifest.json'), 'utf8')) as Manifest;
    return (
      Object.entries(manifest.inputs).every(([file, hash]) => sha256(join(ROOT, file)) === hash) &&
      Object.entries(manifest.outputs).every(([file, hash]) => sha256(join(entry, 'asset', file)) === hash)
    );
  } catch {
    return false; // missing, partial or unreadable: build it again
  }
}

/** A build is kept only if none of its inputs changed while it ran (it may hold the old content). */
export const untouchedSince = (files: readonly string[], start: number): boolean => files.every((f) => statSync(join(ROOT, f)).mtimeMs < start);

/** Builds whose inputs keep changing under them are given up after this many tries. */
const BUILD_ATTEMPTS = 3;

/** lambdas/<name> bundled, from the cache when its entry is current, built into it otherwise. */
export function lambdaBundle(name: string, cacheDir: string = DEFAULT_CACHE_DIR): CachedBundle {
  const entry = join(cacheDir, `${name}.${bundleKey(name).slice(0, 32)}`);
  const cached = (built: boolean): CachedBundle => ({
    assetDir: join(entry, 'asset'),
    file: join(entry, 'asset', BUNDLE_FILE),
    metafile: JSON.parse(readFileSync(join(entry, 'metafile.json'), 'utf8')) as Metafile,
    built,
  });
  if (isCurrent(entry)) {
    touch(entry); // recently used: kept by the pruning below
    return cached(false);
  }
  for (let attempt = 1; attempt <= BUILD_ATTEMPTS; attempt++) {
    if (build(name, entry)) {
      prune(cacheDir);
      return cached(true);
    }
  }
  throw new Error(`bundling lambdas/${name}: its inputs changed during each of ${BUILD_ATTEMPTS} builds`);
}

/**
 * Builds beside the entry at the same depth (the source map's paths are relative to it), then renames
 * it into place: a reader sees a whole entry or none, and two builders at once are harmless. False
 * when an input changed during the build.
 */
function build(name: string, entry: string): boolean {
  const building = `${entry}.building-${process.pid}-${Date.now()}`;
  mkdirSync(building, { recursive: true });
  try {
    const start = Date.now();
    const metafile = buildBundle(join(ROOT, 'lambdas', name, 'index.ts'), join(building, 'asset'));
    const inputs = inputFiles(metafile);
    if (!untouchedSince(inputs, start)) return false;
    const manifest: Manifest = {
      inputs: Object.fromEntries(inputs.map((i) => [i, sha256(join(ROOT, i))])),
      outputs: Object.fromEntries(readdirSync(join(building, 'asset')).map((f) => [f, sha256(join(building, 'asset', f))])),
    };
    // The outputs are named where they were built; name them where they are kept.
    const outputs = Object.fromEntries(Object.entries(metafile.outputs).map(([out, v]) => [out.replace(relative(ROOT, building), relative(ROOT, entry)), v]));
    writeFileSync(join(building, 'metafile.json'), JSON.stringify({ ...metafile, outputs }));
    writeFileSync(join(building, 'manifest.json'), JSON.stringify(manifest));
    if (existsSync(entry) && !isCurrent(entry)) {
      // A stale or damaged entry under this key: moved aside first, so the rename below can land.
      const stale = `${entry}.building-stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(entry, stale);
        rmSync(stale, { recursive: true, force: true });
      } catch {
        // another process replaced it first
      }
    }
    try {
      renameSync(building, entry);
    } catch (e) {
      if (!isCurrent(entry)) throw e; // else another process published the same build first
    }
    return true;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

function touch(path: string): void {
  const now = new Date();
  try {
    utimesSync(path, now, now);
  } catch {
    // pruned by another process meanwhile: the entry is read below or built again next time
  }
}

/** Copies lambdas/<name>'s bundle into `outputDir` (CDK's local bundling hook). */
export function copyLambdaBundle(name: string, outputDir: string, cacheDir: string = DEFAULT_CACHE_DIR): void {
  cpSync(lambdaBundle(name, cacheDir).assetDir, outputDir, { recursive: true });
}

/** A build left by a killed process is removed once it is this old; a live one takes seconds. */
const ABANDONED_BUILD_MS = 60 * 60 * 1000;

/** An entry used this recently is never pruned: another process may be reading it. */
const IN_USE_MS = 10 * 60 * 1000;

function prune(cacheDir: string): void {
  const all = readdirSync(cacheDir).flatMap((n) => {
    try {
      return [{ path: join(cacheDir, n), mtime: statSync(join(cacheDir, n)).mtimeMs }];
    } catch {
      return []; // renamed or removed by another process since the listing
    }
  });
  const building = all.filter((e) => e.path.includes('.building-'));
  const entries = all.filter((e) => !e.path.includes('.building-')).sort((a, b) => b.mtime - a.mtime);
  const abandoned = building.filter((e) => Date.now() - e.mtime > ABANDONED_BUILD_MS);
  const unused = entries.slice(CACHE_ENTRIES_KEPT).filter((e) => Date.now() - e.mtime > IN_USE_MS);
  for (const { path } of [...unused, ...abandoned]) rmSync(path, { recursive: true, force: true });
}
