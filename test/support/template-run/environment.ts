/**
 * A function's Environment.Variables with every intrinsic resolved against the emulators: a fixed map
 * from logical id to what that resource is called locally. An intrinsic this cannot resolve fails the
 * run, naming the function, the variable and the logical id: dropping or guessing it would hide exactly
 * the wiring mistakes this run exists to catch.
 */
import type { Intrinsic } from './template.js';

/** What a logical id resolves to: `Ref`, and attributes for Fn::GetAtt. */
export interface EmulatedResource {
  readonly ref: string;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface ResolveContext {
  readonly resources: Readonly<Record<string, EmulatedResource>>;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
}

export class UnresolvedIntrinsicError extends Error {
  constructor(
    readonly functionId: string,
    readonly variable: string,
    readonly detail: string,
  ) {
    super(`${functionId}: environment variable ${variable}: ${detail}`);
  }
}

const PSEUDO = (ctx: ResolveContext): Record<string, string> => ({
  'AWS::Region': ctx.region,
  'AWS::AccountId': ctx.accountId,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': ctx.stackName,
});

export function resolveIntrinsic(value: Intrinsic, ctx: ResolveContext): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, any>;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      if ('Ref' in v) return refOf(String(v.Ref), ctx);
      if ('Fn::GetAtt' in v) {
        const [id, attr] = Array.isArray(v['Fn::GetAtt']) ? v['Fn::GetAtt'] : String(v['Fn::GetAtt']).split('.');
        const resource = ctx.resources[id];
        const resolved = resource?.attributes?.[attr];
        if (resolved === undefined) throw new Error(`Fn::GetAtt ${id}.${attr}: logical id ${id} has no emulated ${attr}`);
        return resolved;
      }
      if ('Fn::Join' in v) {
        const [sep, parts] = v['Fn::Join'];
        return (parts as Intrinsic[]).map((p) => resolveIntrinsic(p, ctx)).join(sep);
      }
      if ('Fn::Sub' in v) {
        const [text, vars] = Array.isArray(v['Fn::Sub']) ? v['Fn::Sub'] : [v['Fn::Sub'], {}];
        return String(text).replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          if (name in vars) return resolveIntrinsic(vars[name], ctx);
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [id, attr] = name.split('.');
            return resolveIntrinsic({ 'Fn::GetAtt': [id, attr] }, ctx);
          }
          return refOf(name, ctx);
        });
      }
      if ('Fn::Select' in v) {
        const [index, list] = v['Fn::Select'];
        const items = Array.isArray(list) ? list.map((x: Intrinsic) => resolveIntrinsic(x, ctx)) : undefined;
        if (!items) throw new Error(`Fn::Select over ${JSON.stringify(list)} is not emulated`);
        return items[Number(index)]!;
      }
      if ('Fn::ImportValue' in v) throw new Error(`Fn::ImportValue ${JSON.stringify(v['Fn::ImportValue'])}: another stack's export has no emulator`);
    }
  }
  throw new Error(`${JSON.stringify(value)} is not an intrinsic the template run resolves`);
}

function refOf(id: string, ctx: ResolveContext): string {
  const pseudo = PSEUDO(ctx)[id];
  if (pseudo !== undefined) return pseudo;
  const resource = ctx.resources[id];
  if (!resource) throw new Error(`Ref ${id}: logical id ${id} has no emulated resource`);
  return resource.ref;
}

/** Exactly the template's variables, each resolved; the first one that cannot be resolved throws. */
export function resolveEnvironment(functionId: string, variables: Readonly<Record<string, Intrinsic>>, ctx: ResolveContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    try {
      out[name] = resolveIntrinsic(value, ctx);
    } catch (error) {
      throw new UnresolvedIntrinsicError(functionId, name, (error as Error).message);
    }
  }
  return out;
}
