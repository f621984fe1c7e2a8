/**
 * `npm run test:e2e [-- --profile <name>] [--stack <name>] [--outputs <file>] [jest args...]`: the
 * end-to-end suite against a deployed stack. The flags are the ones deploy and the other tools take;
 * they become the environment the suite reads (AWS_PROFILE, E2E_STACK, CDK_OUTPUTS_FILE), and the
 * rest goes to jest.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { remoteApiUrl } from './e2e-target.js';
import { isEntryPoint } from './entry-point.js';

const FLAGS: Record<string, string> = { '--profile': 'AWS_PROFILE', '--stack': 'E2E_STACK', '--outputs': 'CDK_OUTPUTS_FILE' };

export function e2eInvocation(argv: readonly string[], env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; jestArgs: string[] } {
  const out: NodeJS.ProcessEnv = { ...env, E2E: '1' };
  const jestArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = FLAGS[argv[i]!];
    if (!name) {
      jestArgs.push(argv[i]!);
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${argv[i - 1]} needs a value`);
    out[name] = value;
  }
  return { env: out, jestArgs };
}

if (isEntryPoint(import.meta.url)) {
  let invocation;
  try {
    invocation = e2eInvocation(process.argv.slice(2), process.env);
    // The target first: without one, one line and no test run (not the same error from every test file).
    remoteApiUrl(invocation.env);
  } catch (error) {
    // One line (a JSON parser's message, quoted from a broken outputs file, may hold its line breaks).
    if (process.env.DEBUG) console.error(error);
    console.error((error as Error).message.replace(/\s*\n\s*/g, ' '));
    process.exit(2);
  }
  // jest's package exports hide its bin; the repo's own copy is where npm ci put it.
  const jest = fileURLToPath(new URL('../node_modules/jest/bin/jest.js', import.meta.url));
  const result = spawnSync(process.execPath, ['--no-warnings=ExperimentalWarning', '--experimental-vm-modules', jest, 'test/e2e', ...invocation.jestArgs], {
    env: invocation.env,
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
