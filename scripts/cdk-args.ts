/**
 * The arguments of `npm run synth|deploy|destroy -- [cdk arguments]` (scripts/cdk.ts): what the checks
 * before the CDK CLI need from them (the `-c` context, the `--profile`), and the CDK CLI's own argv,
 * which passes every argument through unchanged. The forms are the ones the CLI's parser accepts:
 * `-c k=v`, `-c=k=v`, `--context k=v`, `--context=k=v`; `--profile p`, `--profile=p`.
 */

export const CDK_COMMANDS = ['synth', 'deploy', 'destroy'] as const;
export type CdkCommand = (typeof CDK_COMMANDS)[number];

/** Where `npm run deploy` writes the stack outputs (scripts/stack-outputs.ts reads them). */
export const OUTPUTS_FILE = 'cdk-outputs.json';

export interface CdkArguments {
  /** `-c key=value` assignments in order (a later one wins, as in the CLI); values are strings. */
  readonly context: Readonly<Record<string, string>>;
  /** `--profile`, when given. */
  readonly profile?: string;
}

export const isCdkCommand = (value: string | undefined): value is CdkCommand => (CDK_COMMANDS as readonly string[]).includes(value ?? '');

/** The value of a `--name value` / `--name=value` (or `-n ...`) option at args[i], and how many args it took. */
function optionAt(args: readonly string[], i: number, names: readonly string[]): { value: string | undefined; taken: number } | undefined {
  const arg = args[i]!;
  for (const name of names) {
    if (arg === name) return { value: args[i + 1], taken: 2 };
    if (arg.startsWith(`${name}=`)) return { value: arg.slice(name.length + 1), taken: 1 };
  }
  return undefined;
}

export function parseCdkArguments(args: readonly string[]): CdkArguments {
  const context: Record<string, string> = {};
  let profile: string | undefined;
  for (let i = 0; i < args.length; ) {
    if (args[i] === '--') break;
    const ctx = optionAt(args, i, ['-c', '--context']);
    const prof = ctx ? undefined : optionAt(args, i, ['--profile']);
    const found = ctx ?? prof;
    if (!found) {
      i++;
      continue;
    }
    if (ctx && ctx.value !== undefined) {
      // The CLI splits at the first '=' and ignores an assignment without one.
      const eq = ctx.value.indexOf('=');
      if (eq > 0) context[ctx.value.slice(0, eq)] = ctx.value.slice(eq + 1);
    }
    if (prof && prof.value !== undefined) profile = prof.value;
    i += found.taken;
  }
  return { context, ...(profile !== undefined ? { profile } : {}) };
}

/** `--help`: the CLI's usage, with nothing to check first. */
export const wantsHelp = (args: readonly string[]): boolean => args.some((a) => a === '--help' || a === '-h');

/**
 * The CDK CLI's argv: the command, `--no-notices`, for deploy the outputs file (unless the caller names
 * one), then the caller's arguments exactly as given.
 */
export function cdkArgv(command: CdkCommand, args: readonly string[]): string[] {
  const ownOutputs = args.some((a) => a === '--outputs-file' || a.startsWith('--outputs-file=') || a === '-O' || a.startsWith('-O='));
  return [command, '--no-notices', ...(command === 'deploy' && !ownOutputs ? ['--outputs-file', OUTPUTS_FILE] : []), ...args];
}
