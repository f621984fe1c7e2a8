/**
 * The outputs of a deployed stack, as `npm run deploy` writes them (`cdk deploy --outputs-file`), for
 * every tool that needs to find the stack: the e2e suite, the signing helper, the access-keys CLI.
 * Whatever stack name was deployed (`-c stackName=...`), its outputs are found; with several in the
 * file, the caller names one. Every failure says what to set.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_OUTPUTS_FILE = 'cdk-outputs.json';

export class StackOutputsError extends Error {
  override readonly name = 'StackOutputsError';
}

export interface StackOutputs {
  readonly file: string;
  readonly stack: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * `file`: an explicit path (a flag or CDK_OUTPUTS_FILE) must exist; the default may be missing, and
 * then the answer is undefined. `stack`: which stack of the file (E2E_STACK, --stack).
 */
export function readStackOutputs(options: { file?: string | undefined; stack?: string | undefined; require?: string; cwd?: string }): StackOutputs | undefined {
  const file = options.file ?? join(options.cwd ?? '.', DEFAULT_OUTPUTS_FILE);
  if (!existsSync(file)) {
    if (options.file !== undefined) throw new StackOutputsError(`outputs file ${file} does not exist (check the path given as CDK_OUTPUTS_FILE or --outputs)`);
    return undefined;
  }
  let all: Record<string, Record<string, string>>;
  try {
    all = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StackOutputsError(`outputs file ${file} is not JSON (${(error as Error).message}); deploy again with npm run deploy, which rewrites it`);
  }
  if (!all || typeof all !== 'object' || Array.isArray(all)) throw new StackOutputsError(`outputs file ${file} is not a cdk deploy outputs file`);
  const names = Object.keys(all).filter((name) => !options.require || all[name]?.[options.require]);
  const stack = options.stack ?? (names.length === 1 ? names[0] : undefined);
  if (options.stack !== undefined && !all[options.stack]) {
    throw new StackOutputsError(`outputs file ${file} has no stack ${options.stack}; it has ${Object.keys(all).join(', ') || 'none'}`);
  }
  if (!stack) {
    throw new StackOutputsError(
      names.length === 0
        ? `outputs file ${file} has no stack${options.require ? ` with a ${options.require} output` : ''}`
        : `outputs file ${file} has stacks ${names.join(', ')}: name one (E2E_STACK=<name> or --stack <name>)`,
    );
  }
  const outputs = all[stack]!;
  if (options.require && !outputs[options.require]) throw new StackOutputsError(`stack ${stack} in ${file} has no ${options.require} output`);
  return { file, stack, outputs };
}
