/**
 * The one definition of how a broker Lambda is bundled, and the one function that bundles it. The
 * stack's assets (infra/bundle-cache.ts, through BrokerFunction), the bundle tests and the bench all
 * build through `buildBundle`, so what is measured and tested is byte for byte what is deployed.
 */
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Matches the Lambda runtime (Runtime.NODEJS_24_X). */
export const NODE_TARGET = 'node24';

/** Bundled CommonJS dependencies still call require(); ESM output has none unless we make one. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __brokerCreateRequire } from 'node:module'; const require = __brokerCreateRequire(import.meta.url);";

/** ESM builds of the SDK and middy first: better tree shaking, no CJS wrappers. */
export const MAIN_FIELDS: readonly string[] = ['module', 'main'];

/** The bundle's module name; `.mjs`, so Lambda loads it as an ES module without a package.json beside it. */
export const BUNDLE_MODULE = 'index';
export const BUNDLE_FILE = `${BUNDLE_MODULE}.mjs`;

/** The repository root: esbuild resolves and names inputs relative to it, wherever the output goes. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * In Lambda the credentials are always in the environment: the SDK's full provider chain is swapped
 * for the environment provider (shared/adapters/lambda-credentials.ts), ~100 KB and ~15 ms of cold start less.
 */
export const ALIASES: Readonly<Record<string, string>> = Object.freeze({
  '@aws-sdk/credential-provider-node': join(ROOT, 'shared/adapters/lambda-credentials.ts'),
});

export function esbuildBuildOptions(entry: string, outfile?: string): BuildOptions & { entryPoints: string[] } {
  return {
    entryPoints: [entry],
    ...(outfile !== undefined ? { outfile } : {}),
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: NODE_TARGET,
    minify: true,
    sourcemap: true,
    // Stack traces only need names and positions; the sources stay out of the deployment package.
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    mainFields: [...MAIN_FIELDS],
    alias: { ...ALIASES },
    // The runtime's SDK is not what we tested against: bundle the pinned SDK, externalize nothing.
    external: [],
    logLevel: 'warning',
  };
}

/**
 * Bundles `entry` into `outdir` (index.mjs and its source map) and returns esbuild's metafile. Local
 * esbuild only, no Docker on build machines. Synchronous because CDK's local bundling hook is.
 */
export function buildBundle(entry: string, outdir: string): Metafile {
  const result = buildSync({ ...esbuildBuildOptions(entry, join(outdir, BUNDLE_FILE)), metafile: true, write: true });
  if (result.errors.length) throw new Error(`esbuild ${entry}: ${result.errors.map((e) => e.text).join('; ')}`);
  return result.metafile!;
}
