/**
 * The one definition of how a broker Lambda is bundled. BrokerFunction hands `nodejsBundlingOptions()`
 * to NodejsFunction; `esbuildBuildOptions(entry)` expresses the same settings for the esbuild API, so a
 * benchmark (or a test) bundles each Lambda exactly as the deployed asset is built.
 */
import { LogLevel, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';

/** Matches the Lambda runtime (Runtime.NODEJS_24_X). */
export const NODE_TARGET = 'node24';

/** Bundled CommonJS dependencies still call require(); ESM output has none unless we make one. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __brokerCreateRequire } from 'node:module'; const require = __brokerCreateRequire(import.meta.url);";

/** ESM builds of the SDK and middy first: better tree shaking, no CJS wrappers. */
export const MAIN_FIELDS: readonly string[] = ['module', 'main'];

/** NodejsFunction writes index.mjs for ESM; Lambda loads it as an ES module. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * In Lambda the credentials are always in the environment: the SDK's full provider chain is swapped
 * for the environment provider (shared/adapters/lambda-credentials.ts), ~100 KB and ~15 ms of cold start less.
 */
export const ALIASES: Readonly<Record<string, string>> = Object.freeze({
  '@aws-sdk/credential-provider-node': fileURLToPath(new URL('../shared/adapters/lambda-credentials.ts', import.meta.url)),
});

export function nodejsBundlingOptions(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: NODE_TARGET,
    minify: true,
    sourceMap: true,
    sourceMapMode: SourceMapMode.DEFAULT,
    // Stack traces only need names and positions; the sources stay out of the deployment package.
    sourcesContent: false,
    banner: ESM_REQUIRE_BANNER,
    mainFields: [...MAIN_FIELDS],
    // The runtime's SDK is not what we tested against: bundle the pinned SDK, externalize nothing.
    bundleAwsSDK: true,
    externalModules: [],
    esbuildArgs: Object.fromEntries(Object.entries(ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
    // Local esbuild only: no Docker on build machines.
    forceDockerBundling: false,
    logLevel: LogLevel.WARNING,
  };
}

/** The same bundle through the esbuild API (platform is implied by NodejsFunction; explicit here). */
export function esbuildBuildOptions(entry: string, outfile?: string): BuildOptions & { entryPoints: string[] } {
  return {
    entryPoints: [entry],
    ...(outfile !== undefined ? { outfile } : {}),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: NODE_TARGET,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    mainFields: [...MAIN_FIELDS],
    alias: { ...ALIASES },
    external: [],
    logLevel: 'warning',
  };
}
