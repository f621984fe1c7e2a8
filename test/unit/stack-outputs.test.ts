import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from '@jest/globals';
import { readStackOutputs, StackOutputsError } from '../../scripts/stack-outputs.js';
import { remoteApiUrl } from '../../scripts/e2e-target.js';

const dir = mkdtempSync(join(tmpdir(), 'ulb-outputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const dev = { 'UploadLeaseBroker-dev': { ApiUrl: 'https://dev.execute-api.eu-west-1.amazonaws.com/', Region: 'eu-west-1', BucketName: 'b' } };

describe('npm run test:e2e: its target, or an error naming what to set', () => {
  test('no API_URL and no outputs file: an error naming API_URL and CDK_OUTPUTS_FILE, not a green run against something else', () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(() => remoteApiUrl({}, empty)).toThrow(StackOutputsError);
    expect(() => remoteApiUrl({}, empty)).toThrow(/API_URL=.*CDK_OUTPUTS_FILE/);
  });

  test('a mistyped CDK_OUTPUTS_FILE is an error naming the path', () => {
    expect(() => remoteApiUrl({ CDK_OUTPUTS_FILE: join(dir, 'cdk-outptus.json') })).toThrow(/cdk-outptus\.json does not exist/);
  });

  test('the outputs of whichever stack name was deployed are found', () => {
    expect(remoteApiUrl({ CDK_OUTPUTS_FILE: file('dev.json', dev) })).toBe('https://dev.execute-api.eu-west-1.amazonaws.com/');
  });

  test('the default file in the working directory is read', () => {
    const work = mkdtempSync(join(dir, 'work-'));
    writeFileSync(join(work, 'cdk-outputs.json'), JSON.stringify(dev));
    expect(remoteApiUrl({}, work)).toBe(dev['UploadLeaseBroker-dev'].ApiUrl);
  });

  test('several stacks: E2E_STACK picks one; without it, an error listing them', () => {
    const two = file('two.json', { ...dev, UploadLeaseBroker: { ApiUrl: 'https://prod.example/' } });
    expect(() => remoteApiUrl({ CDK_OUTPUTS_FILE: two })).toThrow(/UploadLeaseBroker-dev, UploadLeaseBroker: name one \(E2E_STACK/);
    expect(remoteApiUrl({ CDK_OUTPUTS_FILE: two, E2E_STACK: 'UploadLeaseBroker' })).toBe('https://prod.example/');
    expect(() => remoteApiUrl({ CDK_OUTPUTS_FILE: two, E2E_STACK: 'Other' })).toThrow(/has no stack Other/);
  });

  test('API_URL wins over any file; a file that is not JSON is an error', () => {
    expect(remoteApiUrl({ API_URL: 'https://x.example/', CDK_OUTPUTS_FILE: join(dir, 'missing.json') })).toBe('https://x.example/');
    expect(() => remoteApiUrl({ CDK_OUTPUTS_FILE: file('bad.json', '{"a":') })).toThrow(/is not JSON/);
  });

  test('a stack without the output asked for is named', () => {
    const noApi = file('noapi.json', { S: { TableName: 't' } });
    expect(() => readStackOutputs({ file: noApi, stack: 'S', require: 'ApiUrl' })).toThrow(/stack S .* has no ApiUrl output/);
    expect(() => readStackOutputs({ file: noApi, require: 'ApiUrl' })).toThrow(/has no stack with a ApiUrl output/);
  });
});

describe('npm run sign-request: the URL and region from the deployed stack', () => {
  const deployed = () => file('signed.json', dev);

  test('a path is joined to the ApiUrl of whichever stack was deployed; the region comes from the host', async () => {
    const { resolveSignArgs } = await import('../../scripts/sign-request.js');
    const args = resolveSignArgs(['post', '/ws-1/datacenter/category/cat-1', '{}', '--outputs', deployed()], {});
    expect(args.url.href).toBe('https://dev.execute-api.eu-west-1.amazonaws.com/ws-1/datacenter/category/cat-1');
    expect(args).toMatchObject({ method: 'POST', region: 'eu-west-1', body: '{}' });
  });

  test('a custom domain takes the region from the stack outputs; --profile and headers are kept', async () => {
    const { resolveSignArgs } = await import('../../scripts/sign-request.js');
    const custom = file('custom.json', { S: { ApiUrl: 'https://api.example.com/', Region: 'ap-southeast-1' } });
    const args = resolveSignArgs(['GET', '/leases/abc', '--outputs', custom, '--profile', 'dev', '--header', 'X-A: 1'], {});
    expect(args).toMatchObject({ region: 'ap-southeast-1', profile: 'dev', headers: { 'x-a': '1' } });
    expect(resolveSignArgs(['GET', 'https://api.example.com/leases/x', '--outputs', custom], {}).region).toBe('ap-southeast-1');
  });

  test('without a stack a path is an error naming what to set, not "not a URL: nullleases/..."', async () => {
    const { resolveSignArgs, SignUsageError } = await import('../../scripts/sign-request.js');
    const empty = mkdtempSync(join(dir, 'none-'));
    expect(() => resolveSignArgs(['GET', '/leases/abc'], {}, empty)).toThrow(SignUsageError);
    expect(() => resolveSignArgs(['GET', '/leases/abc'], {}, empty)).toThrow(/set API_URL/);
    expect(() => resolveSignArgs(['GET', 'nullleases/abc'], {}, empty)).toThrow(/not a URL: nullleases\/abc \(give a full URL/);
    expect(resolveSignArgs(['GET', '/leases/abc'], { API_URL: 'https://x.execute-api.us-west-2.amazonaws.com/' }, empty).region).toBe('us-west-2');
  });
});

describe('npm run test:e2e itself', () => {
  test('--profile, --stack and --outputs become AWS_PROFILE, E2E_STACK and CDK_OUTPUTS_FILE; the rest goes to jest', async () => {
    const { e2eInvocation } = await import('../../scripts/run-e2e.js');
    const { env, jestArgs } = e2eInvocation(['--profile', 'dev', '--stack', 'UploadLeaseBroker-dev', '--outputs', 'o.json', '-t', 'Azure'], {});
    expect(env).toMatchObject({ E2E: '1', AWS_PROFILE: 'dev', E2E_STACK: 'UploadLeaseBroker-dev', CDK_OUTPUTS_FILE: 'o.json' });
    expect(jestArgs).toEqual(['-t', 'Azure']);
    expect(() => e2eInvocation(['--profile'], {})).toThrow('--profile needs a value');
  });

  test('without a reachable target it fails, naming what to set (not 3/3 green against an in-process broker)', () => {
    const { API_URL: _unset, ...env } = process.env;
    const run = spawnSync('npm', ['run', '--silent', 'test:e2e', '--', '--outputs', join(dir, 'no-such-outputs.json')], { encoding: 'utf8', env });
    expect(run.status).toBe(2);
    // Said once, on one line, before jest starts: no test counts, no code frames.
    expect(run.stderr.trim()).toBe(`outputs file ${join(dir, 'no-such-outputs.json')} does not exist (check the path given as CDK_OUTPUTS_FILE or --outputs)`);
    expect(run.stdout + run.stderr).not.toMatch(/Tests:|failed|●/);
  }, 120_000);

  test('with no target at all, the one line names API_URL and the outputs file', () => {
    const { API_URL: _unset, CDK_OUTPUTS_FILE: _file, ...env } = process.env;
    const empty = mkdtempSync(join(dir, 'none-'));
    // Run from an empty folder (no cdk-outputs.json there); tsx is loaded by path since the folder has no node_modules.
    const tsx = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
    const run = spawnSync(process.execPath, ['--import', tsx, join(process.cwd(), 'scripts/run-e2e.ts')], { encoding: 'utf8', env, cwd: empty });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      "npm run test:e2e needs a deployed target: set API_URL=<the stack's ApiUrl>, or run it where npm run deploy wrote cdk-outputs.json (or point CDK_OUTPUTS_FILE at that file)",
    ]);
  }, 120_000);
});
