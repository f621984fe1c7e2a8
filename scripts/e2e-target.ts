import { OUTPUTS } from '../infra/outputs.js';
import { DEFAULT_OUTPUTS_FILE, readStackOutputs, StackOutputsError } from './stack-outputs.js';

/**
 * Where `npm run test:e2e` goes, decided once: by run-e2e.ts before jest starts (so a missing target is
 * one line, not a failure per test file) and by the suite itself (test/e2e/target.ts).
 */

/** The deployed stack's outputs (whatever its name), or undefined when there is no outputs file. */
export function deployedOutputs(env: NodeJS.ProcessEnv, cwd?: string) {
  return readStackOutputs({ file: env.CDK_OUTPUTS_FILE, stack: env.E2E_STACK, require: OUTPUTS.apiUrl, ...(cwd ? { cwd } : {}) })?.outputs;
}

/**
 * API_URL, else the ApiUrl of the outputs file. Without either it is an error naming what to set: a
 * suite that quietly tested an in-process broker instead would tell someone whose deploy failed that it works.
 */
export function remoteApiUrl(env: NodeJS.ProcessEnv, cwd?: string): string {
  if (env.API_URL) return env.API_URL;
  const url = deployedOutputs(env, cwd)?.[OUTPUTS.apiUrl];
  if (url) return url;
  throw new StackOutputsError(
    `npm run test:e2e needs a deployed target: set API_URL=<the stack's ApiUrl>, or run it where npm run deploy wrote ${DEFAULT_OUTPUTS_FILE} (or point CDK_OUTPUTS_FILE at that file)`,
  );
}
