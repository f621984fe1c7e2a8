import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';

/**
 * The dependency rules of .dependency-cruiser.cjs (layers of shared/, no cycle, no AWS in the lease
 * domain, Lambdas apart) hold for the whole tree, and they are not vacuous: a tree that breaks each
 * of them is refused, rule by rule.
 */
const ROOT = process.cwd();
const CLI = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

interface Cruise {
  readonly summary: { readonly violations: readonly { readonly from: string; readonly to: string; readonly rule: { readonly name: string } }[]; readonly totalCruised: number };
  readonly modules: readonly { readonly source: string; readonly dependencies: readonly { readonly resolved: string }[] }[];
}

function cruise(cwd: string, dirs: readonly string[]): Cruise {
  const run = spawnSync(process.execPath, [CLI, ...dirs, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!run.stdout) throw new Error(`depcruise printed nothing: ${run.stderr}`);
  return JSON.parse(run.stdout) as Cruise;
}

describe('the architecture rules', () => {
  test('hold for the whole tree, with every import resolved', () => {
    const result = cruise(ROOT, ['shared', 'lambdas', 'infra', 'local', 'bench', 'scripts', 'test']);
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
    expect(result.summary.totalCruised).toBeGreaterThan(250);
    // Resolution works (a rule over unresolved imports would pass on anything): the engine reaches its ports.
    const engine = result.modules.find((m) => m.source === 'shared/lease/engine.ts');
    expect(engine?.dependencies.map((d) => d.resolved)).toContain('shared/lease/ports.ts');
  });

  describe('refuse a tree that breaks them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ulb-architecture-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const files: Record<string, string> = {
      // An arrow back up: the domain reaching for an adapter.
      'shared/lease/engine.ts': "import { store } from '../adapters/store.js';\nexport const engine = store;\n",
      'shared/adapters/store.ts': 'export const store = 1;\n',
      // AWS in the domain.
      'shared/lease/uploads.ts': "import { S3Client } from '@aws-sdk/client-s3';\nexport const client = S3Client;\n",
      // A type-only cycle.
      'shared/http/a.ts': "import type { B } from './b.js';\nexport type A = { b?: B };\n",
      'shared/http/b.ts': "import type { A } from './a.js';\nexport type B = { a?: A };\n",
      // A module in no layer.
      'shared/misc.ts': "import { store } from './adapters/store.js';\nexport const misc = store;\n",
      // shared/ reaching into the local mode, and one Lambda into another.
      'shared/log.ts': "import { server } from '../local/server.js';\nexport const log = server;\n",
      'local/server.ts': 'export const server = 1;\n',
      'lambdas/one/index.ts': "import { two } from '../two/index.js';\nexport const handler = two;\n",
      'lambdas/two/index.ts': 'export const two = 2;\n',
    };

    let violations: Cruise['summary']['violations'] = [];
    beforeAll(() => {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      for (const file of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) cpSync(join(ROOT, file), join(dir, file));
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      violations = cruise(dir, ['shared', 'lambdas', 'local']).summary.violations;
    });

    test.each([
      ['layer: lease domain: state machine, rules, ports', 'shared/lease/engine.ts'],
      ['domain-without-aws', 'shared/lease/uploads.ts'],
      ['no-cycles', 'shared/http/a.ts'],
      ['shared-in-a-layer', 'shared/misc.ts'],
      ['shared-stands-alone', 'shared/log.ts'],
      ['lambdas-apart', 'lambdas/one/index.ts'],
    ])('%s (from %s)', (rule, from) => {
      expect(violations.filter((v) => v.rule.name === rule).map((v) => v.from)).toContain(from);
    });
  });
});
