/**
 * Test harness: the real stack under the real cdk.json context (feature flags and defaults), with
 * bundling skipped so a synth takes well under a second.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../../infra/broker-function.js';
import { readSettings } from '../../infra/settings.js';
import { UploadLeaseBrokerStack } from '../../infra/stack.js';

export const CDK_JSON = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: Record<string, unknown>;
};

export type Context = Record<string, string | number | boolean>;

export function appWith(context: Context = {}): App {
  return new App({ context: { ...CDK_JSON.context, ...context, 'aws:cdk:bundling-stacks': [] } });
}

export function synthStack(context: Context = {}) {
  const app = appWith(context);
  const stack = new UploadLeaseBrokerStack(app, 'UploadLeaseBroker', { settings: readSettings(app) });
  return { app, stack, template: Template.fromStack(stack) };
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
