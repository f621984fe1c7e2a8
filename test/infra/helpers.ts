/**
 * Test harness: the real stack under the real cdk.json context (feature flags and defaults), with
 * bundling skipped, and with the cdk-nag AwsSolutions plugin on every synth. Each configuration is
 * synthesized once per test run: the first file that asks writes what the tests read (the template,
 * the functions' construct paths, cdk-nag's findings) into the run's scratch directory
 * (test/support/global-setup.js), and every later ask, in any file, reads it back.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BrokerFunction, REPO_ROOT } from '../../infra/broker-function.js';
import { enableNag, nagFindings } from '../../infra/nag.js';
import { readSettings } from '../../infra/settings.js';
import { UploadLeaseBrokerStack } from '../../infra/stack.js';
import { runDir, scratchDir } from '../support/scratch.js';

export const CDK_JSON = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: Record<string, unknown>;
};

export type Context = Record<string, string | number | boolean>;

/** An App under the repo's context; its cloud assembly goes to the run's scratch directory, not a stray temp dir. */
export function appWith(context: Context = {}): App {
  const outdir = scratchDir('cdk.out-');
  return new App({ outdir, context: { ...CDK_JSON.context, ...context, 'aws:cdk:bundling-stacks': [] } });
}

export interface FunctionConstruct {
  readonly logicalId: string;
  /** The construct path below the stack, without the trailing /Resource. */
  readonly path: string;
  /** For a BrokerFunction: the lambdas/ folder it is bundled from. */
  readonly lambda?: string;
}

interface Synthesized {
  readonly template: Record<string, unknown>;
  /** The stacks of the cloud assembly, by name. */
  readonly stacks: readonly string[];
  readonly environment: string;
  readonly functions: readonly FunctionConstruct[];
  /** The AwsSolutions pack run again over the synthesized tree (infra/nag.ts nagFindings). */
  readonly nagFindings: readonly unknown[];
}

export interface SynthesizedStack extends Omit<Synthesized, 'template'> {
  readonly template: Template;
}

/** Same context, same key, whatever the order of its keys. */
const keyOf = (context: Context) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 32);

/** One synth, not cached; `alongside` adds constructs to the app (nag.test.ts adds an offending one). */
export function synthesizeOnce(context: Context, alongside?: (app: App) => void): Synthesized {
  const app = appWith(context);
  const stack = new UploadLeaseBrokerStack(app, 'UploadLeaseBroker', { settings: readSettings(app) });
  alongside?.(app);
  enableNag(app);
  const assembly = app.synth(); // throws with the plugin's report on an unacknowledged finding
  const functions = stack.node
    .findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Lambda::Function')
    .map((cfn) => ({
      logicalId: stack.resolve(cfn.logicalId) as string,
      path: cfn.node.path.slice(stack.node.path.length + 1).replace(/\/Resource$/, ''),
      ...(cfn.node.scope instanceof BrokerFunction ? { lambda: cfn.node.scope.lambda } : {}),
    }));
  const synthesized = {
    template: assembly.getStackByName(stack.stackName).template as Record<string, unknown>,
    stacks: assembly.stacks.map((s) => s.stackName),
    environment: stack.environment,
    functions,
    nagFindings: nagFindings(app),
  };
  rmSync(assembly.directory, { recursive: true, force: true });
  return synthesized;
}

/** The stack under `context`, synthesized at most once per run. An invalid context throws, every time. */
export function synthStack(context: Context = {}): SynthesizedStack {
  const dir = join(runDir(), 'synth');
  const file = join(dir, `${keyOf(context)}.json`);
  let synthesized: Synthesized;
  if (existsSync(file)) {
    synthesized = JSON.parse(readFileSync(file, 'utf8')) as Synthesized;
  } else {
    synthesized = synthesizeOnce(context);
    mkdirSync(dir, { recursive: true });
    // Written whole under another name, then renamed: a worker reading at the same time sees all or nothing.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(synthesized));
    renameSync(partial, file);
  }
  return { ...synthesized, template: Template.fromJSON(synthesized.template) };
}

export type Resources = Record<string, { Type: string; Properties?: any; DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

export const resourcesOf = (template: Template, type?: string): Resources => {
  const all = template.toJSON().Resources as Resources;
  return type ? Object.fromEntries(Object.entries(all).filter(([, r]) => r.Type === type)) : all;
};

/** Logical id of the single resource whose id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, got ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

/** A readable string for an IAM resource: intrinsics become <Ref>/<Id.Attr>, joins are concatenated. */
export function renderArn(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${v['Fn::GetAtt'].join('.')}>`;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(renderArn).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}

export interface Statement {
  readonly policy: string;
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
}

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Every identity-policy statement: AWS::IAM::Policy documents and roles' inline policies. */
export function iamStatements(template: Template): Statement[] {
  const out: Statement[] = [];
  const add = (policy: string, document: any) => {
    for (const s of asArray(document?.Statement) as any[]) {
      out.push({ policy, effect: s.Effect, actions: asArray(s.Action), resources: asArray(s.Resource).map(renderArn) });
    }
  };
  for (const [id, r] of Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))) add(id, r.Properties.PolicyDocument);
  for (const [id, r] of Object.entries(resourcesOf(template, 'AWS::IAM::Role'))) {
    for (const p of asArray(r.Properties?.Policies) as any[]) add(`${id}/${p.PolicyName}`, p.PolicyDocument);
  }
  return out;
}

/** Statements of the default policy of the role that the given function uses. */
export function statementsOfFunction(template: Template, functionPrefix: string): Statement[] {
  const fnId = logicalId(template, 'AWS::Lambda::Function', functionPrefix);
  const roleId = resourcesOf(template)[fnId]!.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter(([, p]) => asArray(p.Properties.Roles).some((r: any) => r.Ref === roleId))
    .map(([id]) => id);
  return iamStatements(template).filter((s) => policies.includes(s.policy));
}
