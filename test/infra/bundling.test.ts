import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { BROKER_LAMBDAS, BROKER_RUNTIME, REPO_ROOT, entryOf } from '../../infra/broker-function.js';
import { ESM_REQUIRE_BANNER, NODE_TARGET, esbuildBuildOptions, nodejsBundlingOptions } from '../../infra/bundling.js';

describe('bundling options', () => {
  const cdk = nodejsBundlingOptions();
  const esb = esbuildBuildOptions('entry.ts');

  test('NodejsFunction and the esbuild API get the same settings', () => {
    expect(cdk.format).toBe(OutputFormat.ESM);
    expect(esb.format).toBe('esm');
    expect([cdk.target, esb.target]).toEqual([NODE_TARGET, NODE_TARGET]);
    expect(BROKER_RUNTIME.name).toBe(`nodejs${NODE_TARGET.slice(4)}.x`);
    expect([cdk.minify, esb.minify]).toEqual([true, true]);
    expect([cdk.sourceMap, esb.sourcemap]).toEqual([true, true]);
    expect([cdk.sourcesContent, esb.sourcesContent]).toEqual([false, false]);
    expect([cdk.banner, esb.banner]).toEqual([ESM_REQUIRE_BANNER, { js: ESM_REQUIRE_BANNER }]);
    expect(cdk.mainFields).toEqual(esb.mainFields);
    expect([cdk.externalModules, esb.external]).toEqual([[], []]);
    expect(esb.platform).toBe('node');
    expect(esb.bundle).toBe(true);
  });

  test('AWS SDK bundled, local esbuild only', () => {
    expect(cdk.bundleAwsSDK).toBe(true);
    expect(cdk.forceDockerBundling).toBe(false);
  });

  test('the banner defines require for bundled CommonJS', () => {
    expect(ESM_REQUIRE_BANNER).toMatch(/createRequire/);
    expect(ESM_REQUIRE_BANNER).toMatch(/const require = /);
  });
});

const validatorsBuilt = existsSync(join(REPO_ROOT, 'shared', 'generated', 'validators.js'));

(validatorsBuilt ? describe : describe.skip)('every Lambda bundles with these options', () => {
  test.each(BROKER_LAMBDAS)('%s', async (name) => {
    const result = await build({ ...esbuildBuildOptions(entryOf(name), `/virtual/${name}/index.mjs`), write: false, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles.find((f) => f.path.endsWith('index.mjs'))!.text;
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*as handler\}/);
    expect(code).not.toMatch(/from\s*"@aws-sdk\//); // bundled, not external
    expect(result.outputFiles.some((f) => f.path.endsWith('index.mjs.map'))).toBe(true);
  });
});
