/**
 * Every Lambda's bundle is the one the stack deploys (infra/bundle-cache.ts: built once per content,
 * reused by synths, tests and here); the naive baseline and an empty module are bundled by the same
 * function (infra/bundling.ts buildBundle) into a temp dir. Also the size section: raw and gzip bytes
 * per bundle and its largest inputs from the esbuild metafile.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { lambdaBundle } from '../infra/bundle-cache.js';
import { BUNDLE_FILE, buildBundle } from '../infra/bundling.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..');

/** Where the options come from, for the report. */
export const BUNDLING_OPTIONS_SOURCE = 'infra/bundling.ts buildBundle()';

export interface LambdaTarget {
  /** Raw bytes of the minified bundle. */
  readonly maxBytes: number;
  /** The naive Lambda of the same kind (bench/naive/lambdas) its cold init is compared with. */
  readonly naive: string;
  /** Cold init over bare Node, at most this times the naive one's, measured in the same run. */
  readonly maxColdRatio: number;
}

/**
 * Every Lambda is held to a bundle size and a cold-init ratio. The API Lambdas presign without an S3
 * client; the three that talk to S3 carry @aws-sdk/client-s3 (~100 KB of its own and more of
 * @smithy/core), like the naive event Lambda, and are held to not starting slower than it by more
 * than what the logger and metrics add.
 */
export const LAMBDA_TARGETS: Readonly<Record<string, LambdaTarget>> = Object.freeze({
  azure: { maxBytes: 350_000, naive: 'azure-start-pending-upload', maxColdRatio: 0.75 },
  alibaba: { maxBytes: 350_000, naive: 'alibaba-apply-file-upload-lease', maxColdRatio: 0.75 },
  leases: { maxBytes: 350_000, naive: 'azure-start-pending-upload', maxColdRatio: 0.75 },
  's3-upload-events': { maxBytes: 450_000, naive: 's3-upload-event', maxColdRatio: 1.25 },
  'retention-sweep': { maxBytes: 450_000, naive: 's3-upload-event', maxColdRatio: 1.25 },
  'lease-settler': { maxBytes: 450_000, naive: 's3-upload-event', maxColdRatio: 1.25 },
  'lease-events': { maxBytes: 50_000, naive: 's3-upload-event', maxColdRatio: 0.25 },
  // Deploy time only (the Blob front's key copy): Secrets Manager, the KeyValueStore client and the JS SigV4A signer.
  'blob-front-key': { maxBytes: 400_000, naive: 's3-upload-event', maxColdRatio: 1.25 },
});

/** A Lambda without targets fails the bench rather than escaping it. */
export function lambdaTarget(name: string): LambdaTarget {
  const t = LAMBDA_TARGETS[name];
  if (!t) throw new Error(`bench: no bundle and cold-init target for lambdas/${name} (add it to LAMBDA_TARGETS in bench/bundles.ts)`);
  return t;
}

export interface BundleSpec {
  readonly name: string;
  readonly kind: 'lambda' | 'naive' | 'bare';
  readonly entry: string;
}

export function bundleSpecs(): BundleSpec[] {
  const lambdas = readdirSync(join(ROOT, 'lambdas'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  return [
    ...lambdas.map((name) => ({ name, kind: 'lambda' as const, entry: join(ROOT, 'lambdas', name, 'index.ts') })),
    ...['azure-start-pending-upload', 'alibaba-apply-file-upload-lease', 's3-upload-event'].map((name) => ({
      name: `naive/${name}`,
      kind: 'naive' as const,
      entry: join(HERE, 'naive', 'lambdas', `${name}.ts`),
    })),
  ];
}

export interface Contributor {
  readonly input: string;
  readonly bytes: number;
}

export interface BuiltBundle extends BundleSpec {
  readonly file: string;
  readonly rawBytes: number;
  readonly gzipBytes: number;
  readonly top: Contributor[];
  readonly topPackages: Contributor[];
}

/** node_modules/@aws-sdk/client-s3/dist-es/... -> @aws-sdk/client-s3; own sources -> their folder. */
function packageOf(input: string): string {
  const idx = input.lastIndexOf('node_modules/');
  if (idx < 0) return input.split('/').slice(0, input.startsWith('bench/') ? 2 : 1).join('/');
  const parts = input.slice(idx + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function contributors(meta: Metafile, outfile: string): { top: Contributor[]; topPackages: Contributor[] } {
  const key = Object.keys(meta.outputs).find((k) => join(ROOT, k) === outfile || k === relative(ROOT, outfile) || outfile.endsWith(k));
  if (!key) throw new Error(`metafile has no output ${outfile}`);
  const inputs = Object.entries(meta.outputs[key]!.inputs).map(([input, v]) => ({ input, bytes: v.bytesInOutput }));
  const byPackage = new Map<string, number>();
  for (const { input, bytes } of inputs) byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytes);
  const desc = (a: Contributor, b: Contributor) => b.bytes - a.bytes;
  return {
    top: inputs.sort(desc).slice(0, 5),
    topPackages: [...byPackage].map(([input, bytes]) => ({ input, bytes })).sort(desc).slice(0, 5),
  };
}

export async function buildBundles(specs: BundleSpec[] = bundleSpecs()): Promise<{ dir: string; bundles: BuiltBundle[]; bare: BuiltBundle }> {
  const dir = mkdtempSync(join(tmpdir(), 'broker-bench-'));
  const emptyEntry = join(dir, 'empty-entry.mjs');
  writeFileSync(emptyEntry, 'export {};\n');
  const all: BundleSpec[] = [...specs, { name: 'bare-node (empty module)', kind: 'bare', entry: emptyEntry }];
  const built = all.map((spec, i) => {
    let file: string;
    let metafile: Metafile;
    if (spec.kind === 'lambda') {
      ({ file, metafile } = lambdaBundle(basename(dirname(spec.entry))));
    } else {
      const outdir = join(dir, `${i}-${spec.name.replace(/[^\w.-]+/g, '_')}`);
      mkdirSync(outdir, { recursive: true });
      metafile = buildBundle(spec.entry, outdir);
      file = join(outdir, BUNDLE_FILE);
    }
    const code = readFileSync(file);
    return {
      ...spec,
      file,
      rawBytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
      ...contributors(metafile, file),
    };
  });
  return { dir, bundles: built.filter((b) => b.kind !== 'bare'), bare: built.find((b) => b.kind === 'bare')! };
}
