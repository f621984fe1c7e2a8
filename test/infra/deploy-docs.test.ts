/**
 * docs/deploy.md states facts the stack can prove; this test proves them against the synthesized stack
 * (bundling skipped, one synth per context variant), so the guide cannot drift from the code:
 *
 * - the outputs table: per variant, the outputs whose row applies ("with `-c k=v` only") are exactly
 *   the template's CfnOutputs;
 * - the Lambdas table: per variant, one row per AWS::Lambda::Function with its code, memory, timeout and
 *   what invokes it; the Lambda counts in prose ("the seven Lambdas (eight with ...)");
 * - the context flags table: every flag cdk.json lists or the app reads has a row, every row names a
 *   flag the app reads, and its Default is cdk.json's;
 * - every repository path and sibling document the guide names exists.
 *
 * In a failure's diff, "Received" is what the guide says and "Expected" what the stack or repository has.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../../infra/broker-function.js';
import { readSettings } from '../../infra/settings.js';
import { appWith, CDK_JSON, resourcesOf, synthStack, type Context, type SynthesizedStack } from './helpers.js';

const DOC_PATH = 'docs/deploy.md';
const DOC = readFileSync(join(REPO_ROOT, DOC_PATH), 'utf8');
/** The guide without fenced code blocks: commands and sample output are not statements checked here. */
const PROSE = DOC.replace(/^[ \t]*```[\s\S]*?^[ \t]*```[ \t]*$/gm, '');

// ---- Markdown ------------------------------------------------------------------------------------

interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Cells of a `| a | b |` line; `\|` inside a cell is not a separator. */
const cellsOf = (line: string) =>
  line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());

function tablesOf(markdown: string): Table[] {
  const lines = markdown.split('\n');
  const tables: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(lines[i + 1]!)) continue;
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cellsOf(lines[j]!));
    tables.push({ header: cellsOf(lines[i]!), rows });
    i = j - 1;
  }
  return tables;
}

/** The one table of the guide with exactly this header: found by its columns, wherever its section is. */
function tableWith(...header: string[]): Table {
  const found = tablesOf(PROSE).filter((t) => t.header.join('|') === header.join('|'));
  if (found.length !== 1) throw new Error(`${DOC_PATH} should have one table | ${header.join(' | ')} |, has ${found.length}`);
  for (const row of found[0]!.rows) {
    if (row.length !== header.length) throw new Error(`row of ${header.length} columns expected: | ${row.join(' | ')} |`);
  }
  return found[0]!;
}

const column = (table: Table, name: string) => {
  const index = table.header.indexOf(name);
  if (index < 0) throw new Error(`no column ${name}`);
  return (row: readonly string[]) => row[index]!;
};

/** The `code spans` of a cell, in order. */
const ticks = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

// ---- Context variants ----------------------------------------------------------------------------

/** "with `-c key=value` only" / "not with `-c key=value`"; `value` `...` means "any non-empty value". */
interface Condition {
  readonly key: string;
  readonly value: string;
  readonly negated: boolean;
}

const CONDITION = /(not )?with `-c ([A-Za-z]+)=([^`]*)`/g;
const conditionsIn = (text: string): Condition[] =>
  [...text.matchAll(CONDITION)].map((m) => ({ negated: m[1] !== undefined, key: m[2]!, value: m[3]! }));
const conditionText = (c: Condition) => `${c.negated ? 'not ' : ''}-c ${c.key}=${c.value}`;

/** A condition on a variant: its value wins over cdk.json's default. CLI values are strings, cdk.json's JSON. */
function holds(condition: Condition, context: Context): boolean {
  const effective = context[condition.key] ?? CDK_JSON.context[condition.key];
  const present = effective !== undefined && effective !== null && effective !== '';
  const matches = condition.value === '...' ? present : present && String(effective) === condition.value;
  return condition.negated ? !matches : matches;
}
const appliesTo = (conditions: readonly Condition[], context: Context) => conditions.every((c) => holds(c, context));

const JWT = { jwtIssuer: 'https://sts.windows.net/tenant/', jwtAudience: 'https://management.azure.com/' };

/**
 * Every context value that adds or removes an output or a Lambda, as the guide's commands set them.
 * A condition the tables name that no variant exercises fails "every condition ... is exercised".
 */
const VARIANTS: Readonly<Record<string, Context>> = {
  default: {},
  'auth=jwt': { auth: 'jwt', ...JWT },
  'auth=contracts': { auth: 'contracts', ...JWT },
  'alarmEmail=...': { alarmEmail: 'ops@example.com' },
  'azureUploads=blob-front': { azureUploads: 'blob-front' },
  'deletionProtection=false': { deletionProtection: 'false' },
  // What npm run deploy:localstack passes.
  'localstack=true deletionProtection=false': { localstack: 'true', deletionProtection: 'false' },
};
const VARIANT_NAMES = Object.keys(VARIANTS);

// ---- The synthesized Lambdas ---------------------------------------------------------------------

interface DeployedLambda {
  /** Construct path under the stack, without an L2's `/Resource`: what the guide's Construct column names. */
  readonly construct: string;
  /** `lambdas/<name>` for the broker's own (BrokerFunction), undefined for CDK's handlers. */
  readonly code: string | undefined;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** "HTTP API", "Schedule: rate(5 minutes)", "Custom resource: Custom::X", ... (see invokers). */
  readonly invokedBy: readonly string[];
}

/** Lambda's own defaults, where the template leaves the property out (CDK's bucket-notifications handler). */
const LAMBDA_DEFAULT_MEMORY_MB = 128;
const LAMBDA_DEFAULT_TIMEOUT_S = 3;
/** Invokers whose guide cell must also name a detail, as its first `code span`. */
const DETAILED_INVOKERS = new Set(['Schedule', 'Custom resource']);

/** True when `value` (a template fragment) refers to resource `id` (Ref, Fn::GetAtt, ...). */
const refersTo = (value: unknown, id: string) => value !== undefined && JSON.stringify(value).includes(`"${id}"`);

/** What invokes function `id`, from the resources that name it (permissions, alarms, dashboards aside). */
function invokers(template: Template, id: string): string[] {
  const found = new Set<string>();
  for (const r of Object.values(resourcesOf(template))) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::ApiGatewayV2::Integration' && refersTo(p.IntegrationUri, id)) found.add('HTTP API');
    // CDK's custom resource sets it on AWS; with -c localstack=true the bucket carries it natively.
    if ((r.Type === 'Custom::S3BucketNotifications' || r.Type === 'AWS::S3::Bucket') && refersTo(p.NotificationConfiguration, id)) found.add('S3 event');
    if (r.Type === 'AWS::Events::Rule' && p.ScheduleExpression && refersTo(p.Targets, id)) found.add(`Schedule: ${p.ScheduleExpression}`);
    if (r.Type === 'AWS::Lambda::EventSourceMapping' && refersTo(p.FunctionName, id)) found.add('Table stream');
    if (r.Type === 'AWS::Pipes::Pipe' && refersTo(p.Enrichment, id)) found.add('Pipe enrichment');
    if (refersTo(p.ServiceToken, id)) found.add(`Custom resource: ${r.Type}`);
  }
  return [...found].sort();
}

/**
 * The template's functions, named the way the guide names them. Logical ids carry hashes, so the
 * mapping goes through the construct tree (recorded at synth by helpers.ts): every AWS::Lambda::Function
 * has its logical id and its construct path, which is the stable name (logical ids derive from it). A
 * BrokerFunction is bundled from lambdas/<name> and records that name; its role's description must name
 * the same folder ("Execution role of the <name> Lambda"). Anything else is a handler CDK brings itself
 * (bucket notifications, auto-delete objects, and any other provider a change adds: it then fails as a
 * function the table does not list).
 */
function deployedLambdas(synth: SynthesizedStack): DeployedLambda[] {
  const resources = resourcesOf(synth.template);
  return synth.functions
    .map(({ logicalId: id, path, lambda }) => {
      const p = resources[id]!.Properties;
      let code: string | undefined;
      if (lambda) {
        const role = resources[p.Role['Fn::GetAtt'][0] as string]!;
        const name = /^Execution role of the (\S+) Lambda$/.exec(role.Properties.Description)?.[1];
        if (name !== lambda) throw new Error(`${path}: its role's description names lambdas/${name}, the function is bundled from lambdas/${lambda}`);
        code = `lambdas/${lambda}`;
      }
      return {
        construct: path,
        code,
        memoryMb: p.MemorySize ?? LAMBDA_DEFAULT_MEMORY_MB,
        timeoutSeconds: p.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_S,
        invokedBy: invokers(synth.template, id),
      };
    })
    .sort((a, b) => a.construct.localeCompare(b.construct));
}

interface Synth {
  readonly context: Context;
  readonly outputs: readonly string[];
  readonly lambdas: readonly DeployedLambda[];
}

const synths = new Map<string, Synth>();
const synthOf = (variant: string) => synths.get(variant)!;

beforeAll(() => {
  for (const [variant, context] of Object.entries(VARIANTS)) {
    const synth = synthStack(context);
    synths.set(variant, { context, outputs: Object.keys(synth.template.toJSON().Outputs ?? {}).sort(), lambdas: deployedLambdas(synth) });
  }
}, 60_000);

// ---- The guide's tables, parsed ------------------------------------------------------------------

const OUTPUTS_TABLE = tableWith('Output', 'Value');
const OUTPUT_ROWS = OUTPUTS_TABLE.rows.flatMap((row) => {
  const names = ticks(column(OUTPUTS_TABLE, 'Output')(row));
  const conditions = conditionsIn(column(OUTPUTS_TABLE, 'Value')(row));
  return names.map((name) => ({ name, conditions }));
});

const LAMBDAS_TABLE = tableWith('Lambda', 'Construct', 'Memory (MB)', 'Timeout (s)', 'Invoked by', 'Deployed');
/** "always", or conditions joined by ", ": nothing else, so a condition cannot hide in free text. */
const DEPLOYED = /^(always|(not )?with `-c [A-Za-z]+=[^`]*`( only)?(, (not )?with `-c [A-Za-z]+=[^`]*`( only)?)*)$/;
const LAMBDA_ROWS = LAMBDAS_TABLE.rows.map((row) => {
  const cell = (name: string) => column(LAMBDAS_TABLE, name)(row);
  const code = ticks(cell('Lambda'))[0];
  const invokedBy = cell('Invoked by')
    .split('; ')
    .map((part) => {
      const label = part.split(':')[0]!.trim();
      return DETAILED_INVOKERS.has(label) ? `${label}: ${ticks(part)[0]}` : label;
    })
    .sort();
  return {
    /** As the synth side (DeployedLambda) is built, for one toEqual with a readable diff. */
    lambda: {
      construct: ticks(cell('Construct'))[0] ?? cell('Construct'),
      code: code?.startsWith('lambdas/') ? code : undefined,
      memoryMb: Number(cell('Memory (MB)')),
      timeoutSeconds: Number(cell('Timeout (s)')),
      invokedBy,
    } satisfies DeployedLambda,
    name: cell('Lambda'),
    deployed: cell('Deployed'),
    conditions: conditionsIn(cell('Deployed')),
  };
});

// ---- Tests ---------------------------------------------------------------------------------------

describe(`${DOC_PATH}: outputs table`, () => {
  test('lists outputs, each once', () => {
    expect(OUTPUT_ROWS.length).toBeGreaterThan(0);
    const names = OUTPUT_ROWS.map((r) => r.name);
    expect(names).toEqual([...new Set(names)]);
  });

  test.each(VARIANT_NAMES)('%s: the rows that apply are exactly the stack outputs', (variant) => {
    const { context, outputs } = synthOf(variant);
    const documented = OUTPUT_ROWS.filter((r) => appliesTo(r.conditions, context)).map((r) => r.name).sort();
    expect(documented).toEqual(outputs);
  });

  test('no row names an output that no variant has', () => {
    const all = new Set(VARIANT_NAMES.flatMap((v) => synthOf(v).outputs));
    expect(OUTPUT_ROWS.map((r) => r.name).filter((name) => !all.has(name))).toEqual([]);
  });
});

describe(`${DOC_PATH}: Lambdas table`, () => {
  test('one row per construct; Deployed is "always" or conditions', () => {
    const constructs = LAMBDA_ROWS.map((r) => r.lambda.construct);
    expect(constructs).toEqual([...new Set(constructs)]);
    expect(LAMBDA_ROWS.filter((r) => !DEPLOYED.test(r.deployed)).map((r) => r.deployed)).toEqual([]);
  });

  test("rows without lambdas/ code are CDK's own handlers, and say so", () => {
    expect(LAMBDA_ROWS.filter((r) => r.lambda.code === undefined && !r.name.startsWith('CDK')).map((r) => r.name)).toEqual([]);
  });

  test.each(VARIANT_NAMES)('%s: the rows that apply are exactly its functions, with their memory, timeout and invoker', (variant) => {
    const { context, lambdas } = synthOf(variant);
    const documented = LAMBDA_ROWS.filter((r) => appliesTo(r.conditions, context))
      .map((r) => r.lambda)
      .sort((a, b) => a.construct.localeCompare(b.construct));
    expect(documented).toEqual(lambdas);
  });

  test('every row is deployed by some variant, and its lambdas/ code exists', () => {
    const all = new Set(VARIANT_NAMES.flatMap((v) => synthOf(v).lambdas.map((l) => l.construct)));
    expect(LAMBDA_ROWS.map((r) => r.lambda.construct).filter((c) => !all.has(c))).toEqual([]);
    for (const { lambda } of LAMBDA_ROWS) {
      if (lambda.code) expect([lambda.code, existsSync(join(REPO_ROOT, lambda.code, 'index.ts'))]).toEqual([lambda.code, true]);
    }
  });

  /** Counts in prose are of the Lambdas bundled from lambdas/ (the BrokerFunctions); CDK's handlers are not bundled here. */
  test('"<n> Lambdas" in prose is the number of bundled Lambdas (with "(<m> with `-c k=v`)": of that variant)', () => {
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
    // Lower case or capitalized, then up to two lower-case words ("bundled", "broker") before "Lambda(s)".
    const number = `(${words.map((w) => `[${w[0]}${w[0]!.toUpperCase()}]${w.slice(1)}`).join('|')}|\\d+)`;
    const toNumber = (s: string) => (/^\d+$/.test(s) ? Number(s) : words.indexOf(s.toLowerCase()));
    const bundled = (variant: string) => synthOf(variant).lambdas.filter((l) => l.code !== undefined).length;
    const variantWith = (key: string, value: string) => {
      const found = VARIANT_NAMES.find((v) => JSON.stringify(VARIANTS[v]) === JSON.stringify({ [key]: value }));
      if (!found) throw new Error(`${DOC_PATH} counts the Lambdas of -c ${key}=${value}: add it to VARIANTS`);
      return found;
    };
    const statements = [
      ...PROSE.matchAll(new RegExp(`\\b${number}\\s+(?:[a-z-]+\\s+){0,2}?Lambdas?\\b(?:\\s*\\(${number} with \`-c ([A-Za-z]+)=([^\`]*)\`\\))?`, 'g')),
    ];
    expect(statements.length).toBeGreaterThan(0);
    for (const m of statements) {
      expect({ said: m[0], count: toNumber(m[1]!) }).toEqual({ said: m[0], count: bundled('default') });
      if (m[2]) expect({ said: m[0], count: toNumber(m[2]) }).toEqual({ said: m[0], count: bundled(variantWith(m[3]!, m[4]!)) });
    }
  });

  test('every "<n> MB" in the guide is the memory size of a Lambda it deploys', () => {
    const sizes = new Set(VARIANT_NAMES.flatMap((v) => synthOf(v).lambdas.map((l) => l.memoryMb)));
    const stated = [...PROSE.matchAll(/\b(\d+) MB\b/g)].map((m) => Number(m[1]));
    expect(stated.length).toBeGreaterThan(0);
    expect(stated.filter((mb) => !sizes.has(mb))).toEqual([]);
  });
});

describe(`${DOC_PATH}: conditions of the outputs and Lambdas tables`, () => {
  test('every condition they name is exercised: it holds in some variant and not in another', () => {
    const conditions = [...OUTPUT_ROWS, ...LAMBDA_ROWS].flatMap((r) => r.conditions);
    expect(conditions.length).toBeGreaterThan(0);
    for (const c of conditions) {
      const results = new Set(VARIANT_NAMES.map((v) => holds(c, VARIANTS[v]!)));
      expect([conditionText(c), [...results].sort()]).toEqual([conditionText(c), [false, true]]);
    }
  });
});

describe(`${DOC_PATH}: context flags table`, () => {
  const table = tableWith('Flag', 'Default', 'Effect');
  const rows = table.rows.map((row) => ({
    flags: ticks(column(table, 'Flag')(row)),
    default: column(table, 'Default')(row),
    effect: column(table, 'Effect')(row),
  }));
  const documented = rows.flatMap((r) => r.flags);
  /** The guide's conventions for "no default": an empty string in cdk.json, or no entry at all. */
  const NO_DEFAULT = ['none', '–'];
  /** Stands for the broker's own defaults (shared/config.ts): the keys land in the Lambdas' environment only when set. */
  const BROKER_DEFAULTS = 'broker defaults';
  /** A CDK CLI setting, not the app's; the synth section states it. */
  const CLI_SETTINGS = ['cli-telemetry'];

  /** Keys readSettings asks the context for, recorded on a real App (conditional ones: the jwt keys). */
  const readBySettings = (context: Context) => {
    const app = appWith(context);
    const seen = new Set<string>();
    const tryGetContext = app.node.tryGetContext.bind(app.node);
    app.node.tryGetContext = (key: string) => {
      seen.add(key);
      return tryGetContext(key);
    };
    readSettings(app);
    return [...seen];
  };
  const appSource = readFileSync(join(REPO_ROOT, 'infra/app.ts'), 'utf8');
  const read = new Set([
    ...readBySettings({}),
    ...readBySettings({ auth: 'jwt', ...JWT }),
    ...readBySettings({ auth: 'contracts', ...JWT }),
    // The stack name is the app's (infra/app.ts), not a setting.
    ...[...appSource.matchAll(/tryGetContext\('([^']+)'\)/g)].map((m) => m[1]!),
  ]);

  test('one row per flag', () => {
    expect(documented).toEqual([...new Set(documented)]);
  });

  test('every flag cdk.json lists (not the @aws-cdk feature flags) has a row', () => {
    const listed = Object.keys(CDK_JSON.context).filter((k) => !k.startsWith('@aws-cdk') && !CLI_SETTINGS.includes(k));
    expect(listed.filter((k) => !documented.includes(k))).toEqual([]);
    for (const key of CLI_SETTINGS) expect(PROSE).toContain(`\`"${key}": ${JSON.stringify(CDK_JSON.context[key])}\``);
  });

  test('every row names a flag the app reads (infra/settings.ts, infra/app.ts), and every flag it reads has a row', () => {
    expect(documented.filter((k) => !read.has(k))).toEqual([]);
    expect([...read].filter((k) => !documented.includes(k))).toEqual([]);
  });

  test("Default is cdk.json's value (none / – for an empty or absent one)", () => {
    for (const row of rows.filter((r) => r.default !== BROKER_DEFAULTS)) {
      for (const flag of row.flags) {
        const value = CDK_JSON.context[flag];
        const stated = NO_DEFAULT.includes(row.default) ? '(none)' : row.default;
        const expected = value === undefined || value === '' ? '(none)' : `\`${String(value)}\``;
        expect({ flag, default: stated }).toEqual({ flag, default: expected });
      }
    }
  });

  test(`"${BROKER_DEFAULTS}": not in cdk.json; each flag sets the environment variable named in its place, and only when given`, () => {
    const combined = rows.filter((r) => r.default === BROKER_DEFAULTS);
    expect(combined).toHaveLength(1);
    const { flags, effect } = combined[0]!;
    const variables = ticks(effect).filter((t) => /^[A-Z][A-Z0-9_]+$/.test(t));
    expect(variables).toHaveLength(flags.length);
    const unset = readSettings(appWith({})).lambdaEnvironment;
    flags.forEach((flag, i) => {
      expect([flag, CDK_JSON.context[flag]]).toEqual([flag, undefined]);
      expect([flag, unset[variables[i]!]]).toEqual([flag, undefined]);
      expect([flag, readSettings(appWith({ [flag]: '7' })).lambdaEnvironment[variables[i]!]]).toEqual([flag, '7']);
    });
  });
});

describe(`${DOC_PATH}: what it names exists`, () => {
  const ignored = readFileSync(join(REPO_ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter((l) => l && !l.startsWith('#') && !l.includes('*'));
  const topLevel = new Set(readdirSync(REPO_ROOT).filter((e) => !e.startsWith('.') && !ignored.includes(e)));
  const wildcard = (segment: string) => segment === '*' || /^<[^>]+>$/.test(segment);

  /** Paths matching `a/<x>/*.ts`-style patterns (`<x>` and `*` stand for one segment). */
  function matches(pattern: string): string[] {
    let found = [REPO_ROOT];
    for (const segment of pattern.split('/').filter(Boolean)) {
      found = found.flatMap((dir) => {
        if (!statSync(dir).isDirectory()) return [];
        if (wildcard(segment)) return readdirSync(dir).map((e) => join(dir, e));
        if (segment.includes('*')) {
          const re = new RegExp(`^${segment.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
          return readdirSync(dir).filter((e) => re.test(e)).map((e) => join(dir, e));
        }
        return existsSync(join(dir, segment)) ? [join(dir, segment)] : [];
      });
    }
    return found;
  }

  test('every repository path in `code spans` exists (generated ones, ignored by git, aside)', () => {
    const paths = [...new Set(ticks(PROSE))].filter((t) => {
      if (!t.includes('/') || /\s|:\/\/|^[</]/.test(t)) return false;
      const first = t.split('/')[0]!;
      if (ignored.some((i) => t === i || t.startsWith(`${i}/`))) return false;
      return topLevel.has(first) || /\.(ts|mjs|cjs|js|md|json|ya?ml)$/.test(t);
    });
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => matches(p).length === 0)).toEqual([]);
  });

  test('every linked document and heading exists', () => {
    const slug = (heading: string) => heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
    const links = [...PROSE.matchAll(/\]\(([^)#\s:]+\.md)(?:#([^)\s]+))?\)/g)];
    expect(links.length).toBeGreaterThan(0);
    for (const [, file, anchor] of links) {
      const path = join(REPO_ROOT, 'docs', file!);
      expect([file, existsSync(path)]).toEqual([file, true]);
      if (anchor) {
        const headings = [...readFileSync(path, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!));
        expect([file, anchor, headings.includes(anchor)]).toEqual([file, anchor, true]);
      }
    }
  });
});
