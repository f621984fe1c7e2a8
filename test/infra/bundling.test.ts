import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { FileSystem } from 'aws-cdk-lib';
import { describe, expect, test } from '@jest/globals';
import { BROKER_LAMBDAS, BROKER_RUNTIME, REPO_ROOT } from '../../infra/broker-function.js';
import { BUNDLE_INPUTS, CACHE_ENTRIES_KEPT, bundleKey, inputsHash, lambdaBundle, untouchedSince } from '../../infra/bundle-cache.js';
import { scratchDir } from '../support/scratch.js';
import { BUNDLE_FILE, ESM_REQUIRE_BANNER, NODE_TARGET, esbuildBuildOptions } from '../../infra/bundling.js';
import { synthesizeWithBundles } from '../support/template-run/synth.js';

const scratch = scratchDir('bundling-');

const ALL_LAMBDAS = [...BROKER_LAMBDAS, 'blob-front-key'] as const;

describe('bundling options', () => {
  const esb = esbuildBuildOptions('entry.ts');

  test('ESM for the Lambda runtime, minified, source maps without the sources, nothing external', () => {
    expect(esb).toMatchObject({ format: 'esm', platform: 'node', bundle: true, target: NODE_TARGET, minify: true, sourcemap: true, sourcesContent: false, external: [] });
    expect(BROKER_RUNTIME.name).toBe(`nodejs${NODE_TARGET.slice(4)}.x`);
    expect(esb.banner).toEqual({ js: ESM_REQUIRE_BANNER });
    // Inputs are named relative to the repository wherever the output goes.
    expect(esb.absWorkingDir).toBe(REPO_ROOT);
  });

  test('the banner defines require for bundled CommonJS', () => {
    expect(ESM_REQUIRE_BANNER).toMatch(/createRequire/);
    expect(ESM_REQUIRE_BANNER).toMatch(/const require = /);
  });
});

describe('every Lambda bundles with these options', () => {
  test.each(ALL_LAMBDAS)('%s: an ESM handler with the SDK inside, and a deployment package of the bundle and its map only', (name) => {
    const bundle = lambdaBundle(name);
    const code = readFileSync(bundle.file, 'utf8');
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*as handler\}/);
    expect(code).not.toMatch(/from\s*"@aws-sdk\//); // bundled, not external
    expect(readdirSync(bundle.assetDir).sort()).toEqual([BUNDLE_FILE, `${BUNDLE_FILE}.map`]);
  });

  test.each(ALL_LAMBDAS)('%s: every esbuild input is covered by the key (ours) and recorded with its content (all, node_modules included)', (name) => {
    const bundle = lambdaBundle(name);
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(10);
    const uncovered = inputs.filter((i) => !i.startsWith('node_modules/') && !BUNDLE_INPUTS.some((p) => i === p || i.startsWith(`${p}/`)));
    expect(uncovered).toEqual([]);
    expect(inputs).toContain(`lambdas/${name}/index.ts`);
    const manifest = JSON.parse(readFileSync(join(dirname(bundle.assetDir), 'manifest.json'), 'utf8')) as { inputs: Record<string, string>; outputs: Record<string, string> };
    const files = inputs.filter((i) => existsSync(join(REPO_ROOT, i)));
    expect(Object.keys(manifest.inputs).sort()).toEqual(files.sort());
    expect(files.some((i) => i.startsWith('node_modules/'))).toBe(true);
    expect(Object.keys(manifest.outputs).sort()).toEqual([BUNDLE_FILE, `${BUNDLE_FILE}.map`]);
  });
});

describe('the content key', () => {
  const fixture = () => {
    const root = mkdtempSync(join(scratch, 'tree-'));
    mkdirSync(join(root, 'shared', 'deep'), { recursive: true });
    writeFileSync(join(root, 'shared', 'deep', 'a.ts'), 'export const a = 1;');
    writeFileSync(join(root, 'package-lock.json'), '{}');
    writeFileSync(join(root, 'README.md'), 'not an input');
    return root;
  };
  const inputs = ['shared', 'package-lock.json'];

  test('changes with any input file\'s content, name or presence, and with nothing else', () => {
    const root = fixture();
    const base = inputsHash(root, inputs);
    expect(inputsHash(root, inputs)).toBe(base);
    writeFileSync(join(root, 'README.md'), 'edited');
    expect(inputsHash(root, inputs)).toBe(base);

    writeFileSync(join(root, 'shared', 'deep', 'a.ts'), 'export const a = 2;');
    const edited = inputsHash(root, inputs);
    expect(edited).not.toBe(base);
    writeFileSync(join(root, 'shared', 'deep', 'a.ts'), 'export const a = 1;');
    expect(inputsHash(root, inputs)).toBe(base);

    writeFileSync(join(root, 'shared', 'b.ts'), '');
    expect(inputsHash(root, inputs)).not.toBe(base);
    rmSync(join(root, 'shared', 'b.ts'));

    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3}');
    expect(inputsHash(root, inputs)).not.toBe(base);
  });

  test('does not depend on where the repository is checked out', () => {
    const root = fixture();
    const moved = join(scratch, 'moved');
    cpSync(root, moved, { recursive: true });
    expect(inputsHash(moved, inputs)).toBe(inputsHash(root, inputs));
  });

  test('differs per Lambda', () => {
    expect(new Set(ALL_LAMBDAS.map(bundleKey)).size).toBe(ALL_LAMBDAS.length);
  });
});

describe('the cache', () => {
  test('a bundle is built once: the next ask reuses the same files', () => {
    const cacheDir = join(scratch, 'cache-reuse');
    const first = lambdaBundle('lease-events', cacheDir);
    expect(first.built).toBe(true);
    const bytes = readFileSync(first.file);
    const again = lambdaBundle('lease-events', cacheDir);
    expect(again).toMatchObject({ built: false, file: first.file });
    expect(readFileSync(again.file).equals(bytes)).toBe(true);
    expect(readdirSync(cacheDir)).toEqual([first.file.split('/').at(-3)]);
  });

  test('an entry whose inputs no longer have the recorded content is built again (an install that does not match the lockfile)', () => {
    const cacheDir = join(scratch, 'cache-stale');
    const first = lambdaBundle('lease-events', cacheDir);
    const manifestFile = join(dirname(first.assetDir), 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { inputs: Record<string, string> };
    const dependency = Object.keys(manifest.inputs).find((i) => i.startsWith('node_modules/'))!;
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, inputs: { ...manifest.inputs, [dependency]: '0'.repeat(64) } }));
    const rebuilt = lambdaBundle('lease-events', cacheDir);
    expect(rebuilt).toMatchObject({ built: true, file: first.file });
    expect(JSON.parse(readFileSync(manifestFile, 'utf8')).inputs[dependency]).not.toBe('0'.repeat(64));
    expect(lambdaBundle('lease-events', cacheDir).built).toBe(false);
  });

  test('a damaged bundle is built again, never handed out', () => {
    const cacheDir = join(scratch, 'cache-damaged');
    const first = lambdaBundle('lease-events', cacheDir);
    const bytes = readFileSync(first.file);
    writeFileSync(first.file, bytes.subarray(0, 100)); // as a crash before the data reached the disk could leave it
    const again = lambdaBundle('lease-events', cacheDir);
    expect(again.built).toBe(true);
    expect(readFileSync(again.file).equals(bytes)).toBe(true);
  });

  test('a build is not kept when one of its inputs changed while it ran', () => {
    const file = join(scratch, 'input.ts');
    writeFileSync(file, 'export {};');
    const input = relative(REPO_ROOT, file);
    const after = statSync(file).mtimeMs + 1;
    expect(untouchedSince([input], after)).toBe(true);
    expect(untouchedSince([input], statSync(file).mtimeMs)).toBe(false);
    expect(untouchedSince([input], 0)).toBe(false);
  });

  test(`keeps the ${CACHE_ENTRIES_KEPT} most recently used entries and drops abandoned builds`, () => {
    const cacheDir = join(scratch, 'cache-prune');
    mkdirSync(cacheDir, { recursive: true });
    const longAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const stale = Array.from({ length: CACHE_ENTRIES_KEPT + 3 }, (_, i) => `old-${String(i).padStart(3, '0')}`);
    stale.forEach((n, i) => {
      mkdirSync(join(cacheDir, n));
      utimesSync(join(cacheDir, n), longAgo(1000 - i), longAgo(1000 - i)); // old-000 is the oldest
    });
    mkdirSync(join(cacheDir, 'x.building-1-1'));
    utimesSync(join(cacheDir, 'x.building-1-1'), longAgo(120), longAgo(120));
    mkdirSync(join(cacheDir, 'y.building-2-2')); // a build in progress elsewhere

    const built = lambdaBundle('lease-events', cacheDir);
    const left = readdirSync(cacheDir);
    expect(left).toHaveLength(CACHE_ENTRIES_KEPT + 1);
    expect(left).toContain(built.file.split('/').at(-3));
    expect(left).toContain('y.building-2-2');
    expect(left).not.toContain('x.building-1-1');
    expect(left.filter((n) => n.startsWith('old-')).sort()).toEqual(stale.slice(4));
  });

  test('never prunes an entry used in the last minutes, however many there are (another process may be reading it)', () => {
    const cacheDir = join(scratch, 'cache-in-use');
    mkdirSync(cacheDir, { recursive: true });
    const recent = Array.from({ length: CACHE_ENTRIES_KEPT + 3 }, (_, i) => `recent-${i}`);
    for (const n of recent) mkdirSync(join(cacheDir, n));
    lambdaBundle('lease-events', cacheDir);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('recent-'))).toHaveLength(recent.length);
  });
});

describe('the stack deploys these bundles', () => {
  test('cdk synth stages each Lambda\'s cached bundle, byte for byte', () => {
    const { outdir, templateFile } = synthesizeWithBundles({}, join(scratch, 'cdk.out'));
    const resources = (JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, { Type: string; Properties: any }> }).Resources;
    const staged = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .flatMap((r) => {
        const role = resources[r.Properties.Role['Fn::GetAtt'][0]]!;
        const name = /^Execution role of the (\S+) Lambda$/.exec(role.Properties.Description ?? '')?.[1];
        return name ? [{ name, key: String(r.Properties.Code.S3Key).replace(/\.zip$/, '') }] : [];
      });
    expect(staged.map((s) => s.name).sort()).toEqual([...BROKER_LAMBDAS].sort());
    for (const { name, key } of staged) {
      const dir = join(outdir, `asset.${key}`);
      expect(readdirSync(dir).sort()).toEqual([BUNDLE_FILE, `${BUNDLE_FILE}.map`]);
      const bundle = lambdaBundle(name);
      expect(bundle.built).toBe(false);
      for (const file of [BUNDLE_FILE, `${BUNDLE_FILE}.map`]) {
        expect([name, readFileSync(join(dir, file)).equals(readFileSync(join(bundle.assetDir, file)))]).toEqual([name, true]);
      }
    }
    expect(new Set(staged.map((s) => s.key)).size).toBe(staged.length);
  });

  test('the asset hash is the hash of the bundle\'s files: a Lambda is uploaded again only when its bundle changed', () => {
    const { templateFile } = synthesizeWithBundles({}, join(scratch, 'cdk.out-hash'));
    const resources = (JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, { Type: string; Properties: any }> }).Resources;
    const keys = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => String(r.Properties.Code.S3Key).replace(/\.zip$/, ''));
    for (const name of BROKER_LAMBDAS) expect([name, keys.includes(FileSystem.fingerprint(lambdaBundle(name).assetDir))]).toEqual([name, true]);
  });
});
