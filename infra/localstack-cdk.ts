/**
 * `npm run deploy:localstack` / `npm run destroy:localstack`: the regular CDK CLI pointed at LocalStack.
 * The CLI's AWS SDK honours AWS_ENDPOINT_URL and switches S3 to path-style for loopback endpoints, so
 * no cdklocal wrapper is needed. Credentials are LocalStack's dummy ones; any AWS profile is ignored,
 * so this can never touch a real account.
 *
 *   node --import tsx infra/localstack-cdk.ts deploy|destroy [extra cdk arguments]
 */
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENDPOINT = process.env.LOCALSTACK_ENDPOINT ?? 'http://localhost:4566';
const REGION = process.env.LOCALSTACK_REGION ?? 'us-east-1';
const ACCOUNT = '000000000000';
const CONTEXT = ['-c', 'localstack=true', '-c', 'deletionProtection=false'];

function localstackEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_CLOUDFORMATION']) {
    delete env[name];
  }
  return {
    ...env,
    AWS_ENDPOINT_URL: ENDPOINT,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    CDK_DISABLE_VERSION_CHECK: '1',
    // The pinned cdk and node (the app runs as `node --import tsx ...`), also outside `npm run`.
    PATH: [join(REPO_ROOT, 'node_modules', '.bin'), env.PATH].filter(Boolean).join(delimiter),
  };
}

function cdk(args: string[]): void {
  console.error(`> cdk ${args.join(' ')}   (AWS_ENDPOINT_URL=${ENDPOINT})`);
  const result = spawnSync('cdk', [...args, '--no-notices'], { stdio: 'inherit', env: localstackEnv(), cwd: REPO_ROOT });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

async function assertLocalstackRunning(): Promise<void> {
  try {
    const response = await fetch(new URL('/_localstack/health', ENDPOINT), { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    console.error(`LocalStack is not answering at ${ENDPOINT} (${(error as Error).message}). Start it with: docker compose up -d`);
    process.exit(1);
  }
}

const [command, ...extra] = process.argv.slice(2);
await assertLocalstackRunning();
if (command === 'deploy') {
  cdk(['bootstrap', `aws://${ACCOUNT}/${REGION}`]);
  cdk(['deploy', ...CONTEXT, '--require-approval', 'never', '--outputs-file', 'cdk-outputs.localstack.json', ...extra]);
} else if (command === 'destroy') {
  cdk(['destroy', ...CONTEXT, '--force', ...extra]);
} else {
  console.error('usage: localstack-cdk.ts deploy|destroy [cdk arguments]');
  process.exit(2);
}
