/**
 * `npm run synth|deploy|destroy [-- cdk arguments]`: the pinned CDK CLI, after the checks that would
 * otherwise fail only after a synth, with CDK's own words. The context (cdk.json's plus every `-c`) must be settings the
 * stack accepts; deploy and destroy also need a profile that exists, credentials, a region, and, for
 * deploy, a bootstrapped account (scripts/deploy-preflight.ts). A failed check is one line saying what
 * to set, exit code 2, and the CLI never starts; DEBUG=1 adds the trace.
 *
 *   node --import tsx scripts/cdk.ts synth|deploy|destroy [cdk arguments, passed through unchanged]
 */
import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cdkArgv, CDK_COMMANDS, isCdkCommand, parseCdkArguments, wantsHelp, type CdkArguments, type CdkCommand } from './cdk-args.js';
import { bootstrapQualifier, settingsError, synthContext } from './cdk-context.js';
import { preflight } from './deploy-preflight.js';
import { awsPreflightPorts } from './deploy-preflight-aws.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(REPO_ROOT, 'node_modules', '.bin');

/** One line on stderr, the trace too with DEBUG, exit code 2. */
function fail(line: string, cause?: unknown): never {
  console.error(line);
  if (process.env.DEBUG && cause !== undefined) console.error(cause);
  process.exit(2);
}

const [command, ...args] = process.argv.slice(2);
if (!isCdkCommand(command)) fail(`usage: node --import tsx scripts/cdk.ts ${CDK_COMMANDS.join('|')} [cdk arguments]`);

/** The checks before the CLI: the context for every command, AWS for deploy and destroy. */
async function check(command: CdkCommand, parsed: CdkArguments): Promise<void> {
  const context = synthContext(join(REPO_ROOT, 'cdk.json'), parsed.context);
  const invalid = settingsError(context);
  if (invalid) fail(`cannot ${command}: ${invalid.message}`, invalid);
  if (command === 'synth') return;
  const result = await preflight(
    { profileArg: parsed.profile, env: process.env, qualifier: bootstrapQualifier(context), checkBootstrap: command === 'deploy' },
    awsPreflightPorts(process.env),
  );
  if (!result.ok) fail(`cannot ${command}: ${result.problem}`, result.cause);
  for (const note of result.notes) console.error(`note: ${note}`);
  if (result.account) console.error(`${command}: account ${result.account}, region ${result.region}${result.profile ? `, profile ${result.profile}` : ''}`);
}

// `--help` is the CLI's usage: nothing to check first.
if (!wantsHelp(args)) await check(command, parseCdkArguments(args));

const child = spawn(join(BIN, 'cdk'), cdkArgv(command, args), {
  stdio: 'inherit',
  cwd: REPO_ROOT,
  env: {
    ...process.env,
    CDK_DISABLE_VERSION_CHECK: '1',
    // cdk.json's app is `node --import tsx ...`: the pinned node, also outside `npm run`.
    PATH: [BIN, process.env.PATH].filter(Boolean).join(delimiter),
  },
});
// Ctrl-C reaches the CLI from the terminal itself; a signal sent to this process alone is passed on.
for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
child.once('error', (error) => fail(`cannot ${command}: the CDK CLI did not start (${error.message}): run npm ci`, error));
// The CLI's exit code is this one's; a CLI killed by a signal ends this process the same way.
child.once('exit', (code, signal) => {
  if (!signal) process.exit(code ?? 1);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
});
