import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, jest, test } from '@jest/globals';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { awsProblem, failureOf, run, stackTarget, USAGE, UsageError } from '../../scripts/access-keys.js';
import { stackStore } from '../../scripts/credential-stores.js';
import { accessKeysFromFile } from '../../shared/auth/access-keys.js';
import { azureGrantsFromFile, parseAzureGrants } from '../../shared/auth/azure-grants.js';
import { ConfigError } from '../../shared/config.js';
import { log } from '../../shared/log.js';
import { storedAccessKeys, storedAzureGrants } from '../../shared/auth/stored-credentials.js';
import { scratchDir } from '../support/scratch.js';

const tmp = () => scratchDir('ulb-keys-');

async function cli(...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  await run(argv, (line) => lines.push(line));
  return lines;
}

/** `--local` in a DATA_DIR of its own: what goes to stdout (`out`) and to stderr (`notes`) apart. */
async function local(env: Record<string, string>, ...argv: string[]): Promise<{ out: string[]; notes: string[] }> {
  const out: string[] = [];
  const notes: string[] = [];
  await run(argv, (line) => out.push(line), { note: (line) => notes.push(line), env });
  return { out, notes };
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('npm run access-keys, local files', () => {
  test('create prints the secret once; the file is what ACCESS_KEYS_FILE reads; list never shows a secret; revoke removes', async () => {
    const file = join(tmp(), 'keys.json');
    const created = JSON.parse((await cli('create', '--workspace', 'ws_a', '--workspace', 'ws_b', '--keys-file', file))[0]!);
    expect(created.AccessKeyId).toMatch(/^LTAI[A-Za-z0-9]{20}$/);
    expect(created.AccessKeySecret).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(await accessKeysFromFile(file).find(created.AccessKeyId)).toEqual({ accessKeyId: created.AccessKeyId, secret: created.AccessKeySecret, workspaces: ['ws_a', 'ws_b'] });
    const listed = await cli('list', '--keys-file', file);
    expect(listed.map((l) => JSON.parse(l))).toEqual([{ AccessKeyId: created.AccessKeyId, Workspaces: ['ws_a', 'ws_b'] }]);
    expect(listed.join('')).not.toContain(created.AccessKeySecret);
    await cli('revoke', created.AccessKeyId, '--keys-file', file);
    expect(await accessKeysFromFile(file).find(created.AccessKeyId)).toBeUndefined();
    await expect(cli('revoke', created.AccessKeyId, '--keys-file', file)).rejects.toBeInstanceOf(UsageError);
  });

  test('grants: what AZURE_GRANTS_FILE reads; a registry must be <sub>/<rg>/<name>', async () => {
    const file = join(tmp(), 'grants.json');
    await cli('grant', '--principal', 'oid-1', '--subscription', 'SUB-A', '--registry', 'sub-b/rg/reg', '--grants-file', file);
    const grants = parseAzureGrants(readFileSync(file, 'utf8'), file);
    expect(await grants.grantFor('oid-1')).toEqual({ principal: 'oid-1', subscriptions: ['sub-a'], registries: ['sub-b/rg/reg'] });
    await expect(cli('grant', '--principal', 'oid-2', '--registry', 'just-a-name', '--grants-file', file)).rejects.toThrow('<subscriptionId>/<resourceGroup>/<registryName>');
    await cli('revoke-grant', '--principal', 'oid-1', '--grants-file', file);
    expect(await parseAzureGrants(readFileSync(file, 'utf8'), file).grantFor('oid-1')).toBeUndefined();
  });

  test('a running broker follows the files: a revoked key or grant stops working at its next use; a file broken later fails closed', async () => {
    const dir = tmp();
    const keysFile = join(dir, 'keys.json');
    const grantsFile = join(dir, 'grants.json');
    const created = JSON.parse((await cli('create', '--workspace', 'ws_a', '--keys-file', keysFile))[0]!);
    await cli('grant', '--principal', 'oid-1', '--subscription', 'sub-a', '--grants-file', grantsFile);
    // Read once, as at start, and kept.
    const keys = accessKeysFromFile(keysFile);
    const grants = azureGrantsFromFile(grantsFile);
    expect(await keys.find(created.AccessKeyId)).toMatchObject({ workspaces: ['ws_a'] });
    expect(await grants.grantFor('oid-1')).toMatchObject({ subscriptions: ['sub-a'] });
    await cli('revoke', created.AccessKeyId, '--keys-file', keysFile);
    await cli('revoke-grant', '--principal', 'oid-1', '--grants-file', grantsFile);
    expect(await keys.find(created.AccessKeyId)).toBeUndefined();
    expect(await grants.grantFor('oid-1')).toBeUndefined();
    // A key added later works without a restart; a file broken later honours nothing.
    const again = JSON.parse((await cli('create', '--workspace', 'ws_b', '--keys-file', keysFile))[0]!);
    expect(await keys.find(again.AccessKeyId)).toMatchObject({ workspaces: ['ws_b'] });
    const error = jest.spyOn(log, 'error').mockImplementation(() => undefined);
    try {
      writeFileSync(keysFile, '[{"AccessKeyId": "broken"');
      expect(await keys.find(again.AccessKeyId)).toBeUndefined();
      expect(error).toHaveBeenCalledWith(expect.stringContaining('nothing in it is honoured'), { path: keysFile }, expect.any(Error));
    } finally {
      error.mockRestore();
    }
  });

  test('--help (and -h) prints every command and target, the file flags included, and succeeds', async () => {
    for (const flag of ['--help', '-h']) {
      const [usage] = await cli(flag);
      expect(usage).toBe(USAGE);
      for (const word of ['create', 'list', 'revoke', 'grant', 'revoke-grant', '--keys-file', '--grants-file', '--outputs', '--stack', '--table', '--kms-key', '--region', '--profile']) {
        expect(usage).toContain(word);
      }
    }
    expect(USAGE).toContain('--local');
    // Without a command: one line naming the commands, not the whole usage.
    await expect(cli()).rejects.toThrow(/^name a command: create, list, revoke, grant, revoke-grant \(--help shows the usage\)$/);
  });

  test('usage errors name what is missing', async () => {
    await expect(cli('create', '--keys-file', join(tmp(), 'k.json'))).rejects.toThrow('--workspace');
    await expect(cli('frobnicate')).rejects.toThrow(/^unknown command "frobnicate": the commands are create, list, revoke, grant, revoke-grant \(--help shows the usage\)$/);
    await expect(cli('list', '--frobnicate')).rejects.toThrow(/Unknown option '--frobnicate'.*\(--help shows the usage\)$/);
    await expect(cli('list', '--outputs', join(tmp(), 'absent.json'))).rejects.toThrow('deploy with -c auth=contracts first');
  });

  test('the deployed target comes from the outputs file of the stack that was deployed, or from flags', () => {
    const outputs = join(tmp(), 'cdk-outputs.json');
    writeFileSync(outputs, JSON.stringify({ 'UploadLeaseBroker-dev': { TableName: 't', AccessKeysKeyArn: 'arn:k', Region: 'eu-west-1' } }));
    expect(stackTarget({ outputs })).toEqual({ tableName: 't', kmsKeyArn: 'arn:k', region: 'eu-west-1' });
    writeFileSync(outputs, JSON.stringify({ A: { TableName: 't' }, B: { TableName: 'u', Region: 'r' } }));
    expect(() => stackTarget({ outputs })).toThrow('name one with --stack');
    expect(() => stackTarget({ outputs, stack: 'B' })).toThrow('not deployed with -c auth=contracts');
    expect(stackTarget({ table: 'x', 'kms-key': 'arn:y', region: 'z' })).toEqual({ tableName: 'x', kmsKeyArn: 'arn:y', region: 'z' });
  });
});

describe('npm run access-keys --local: the files npm start reads, owner-only', () => {
  test('create --local: DATA_DIR made, the key in $DATA_DIR/access-keys.json (0600), stdout only the key, where it went on stderr', async () => {
    const dataDir = join(tmp(), 'data');
    const { out, notes } = await local({ DATA_DIR: dataDir }, 'create', '--local', '--workspace', 'ws_a');
    const path = join(dataDir, 'access-keys.json');
    const created = JSON.parse(out.join('\n'));
    expect(await accessKeysFromFile(path).find(created.AccessKeyId)).toMatchObject({ secret: created.AccessKeySecret, workspaces: ['ws_a'] });
    expect(modeOf(path)).toBe(0o600);
    expect(notes).toEqual(['The secret is shown this once; store it now.', `stored in ${path} (0600; start the broker with AUTH=contracts JWT_ISSUER=dev (or your issuer) to use it)`]);
  });

  test('grant --local: $DATA_DIR/azure-grants.json (0600); revoke-grant rewrites it, still 0600', async () => {
    const dataDir = join(tmp(), 'data');
    const path = join(dataDir, 'azure-grants.json');
    const { out, notes } = await local({ DATA_DIR: dataDir }, 'grant', '--local', '--principal', 'oid-1', '--subscription', 'sub-a');
    expect({ out, notes }).toEqual({ out: ['granted oid-1: sub-a'], notes: [] });
    expect(await azureGrantsFromFile(path).grantFor('oid-1')).toMatchObject({ subscriptions: ['sub-a'] });
    chmodSync(path, 0o644);
    await local({ DATA_DIR: dataDir }, 'revoke-grant', '--local', '--principal', 'oid-1');
    expect(modeOf(path)).toBe(0o600);
  });

  test('an existing keys file readable by others is 0600 after a create, its keys kept; a broker following it sees each new key; no temporary file left', async () => {
    const dataDir = tmp();
    const path = join(dataDir, 'access-keys.json');
    writeFileSync(path, '[]\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    // What a running broker holds: the file, followed (it reads it again when it changes).
    const followed = accessKeysFromFile(path);
    const first = JSON.parse((await local({ DATA_DIR: dataDir }, 'create', '--local', '--workspace', 'ws_a')).out.join('\n'));
    expect(modeOf(path)).toBe(0o600);
    chmodSync(path, 0o644);
    const second = JSON.parse((await local({ DATA_DIR: dataDir }, 'create', '--local', '--workspace', 'ws_b')).out.join('\n'));
    expect(modeOf(path)).toBe(0o600);
    expect(await followed.find(first.AccessKeyId)).toMatchObject({ workspaces: ['ws_a'] });
    expect(await followed.find(second.AccessKeyId)).toMatchObject({ workspaces: ['ws_b'] });
    expect(readdirSync(dataDir)).toEqual(['access-keys.json']);
    const listed = (await local({ DATA_DIR: dataDir }, 'list', '--local')).out.map((l) => JSON.parse(l).AccessKeyId);
    expect(listed).toEqual([first.AccessKeyId, second.AccessKeyId]);
    // revoke rewrites it: 0600 again.
    chmodSync(path, 0o644);
    await local({ DATA_DIR: dataDir }, 'revoke', '--local', first.AccessKeyId);
    expect(modeOf(path)).toBe(0o600);
  });

  test('--keys-file is written 0600 too; ACCESS_KEYS_FILE and AZURE_GRANTS_FILE are what --local means when set', async () => {
    const dir = tmp();
    const named = join(dir, 'named.json');
    const { notes } = await local({ DATA_DIR: join(dir, 'data') }, 'create', '--keys-file', named, '--workspace', 'ws');
    expect(modeOf(named)).toBe(0o600);
    expect(notes.at(-1)).toBe(`stored in ${named} (0600; start the broker with AUTH=contracts JWT_ISSUER=dev ACCESS_KEYS_FILE=${named} (or your issuer) to use it)`);
    const fromEnv = { DATA_DIR: join(dir, 'data'), ACCESS_KEYS_FILE: join(dir, 'env-keys.json'), AZURE_GRANTS_FILE: join(dir, 'env-grants.json') };
    expect((await local(fromEnv, 'create', '--local', '--workspace', 'ws')).notes.at(-1)).toBe(`stored in ${fromEnv.ACCESS_KEYS_FILE} (0600; start the broker with AUTH=contracts JWT_ISSUER=dev (or your issuer) to use it)`);
    await local(fromEnv, 'grant', '--local', '--principal', 'p', '--subscription', 's');
    expect(modeOf(fromEnv.ACCESS_KEYS_FILE)).toBe(0o600);
    expect(modeOf(fromEnv.AZURE_GRANTS_FILE)).toBe(0o600);
  });

  test('a file the broker would refuse is not added to: the entry named, the file unchanged', async () => {
    const dataDir = tmp();
    const path = join(dataDir, 'access-keys.json');
    const content = JSON.stringify([{ AccessKeyId: 'LTAIshort', AccessKeySecret: 'short', Workspaces: ['ws'] }]);
    writeFileSync(path, content);
    const refused = local({ DATA_DIR: dataDir }, 'create', '--local', '--workspace', 'ws');
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(`ACCESS_KEYS_FILE ${path}, entry 0: needs AccessKeyId, AccessKeySecret (16+ characters)`);
    expect(readFileSync(path, 'utf8')).toBe(content);
    writeFileSync(join(dataDir, 'azure-grants.json'), '{}');
    await expect(local({ DATA_DIR: dataDir }, 'grant', '--local', '--principal', 'p', '--subscription', 's')).rejects.toThrow(/^AZURE_GRANTS_FILE .* must hold a JSON array/);
  });

  test('the local files and a deployed stack at once are refused; a file it cannot write is one line', async () => {
    await expect(local({ DATA_DIR: tmp() }, 'list', '--local', '--table', 't')).rejects.toThrow('the local files and a deployed stack (--table) at once: choose one');
    const blocker = join(tmp(), 'a-file');
    writeFileSync(blocker, '');
    await expect(local({}, 'create', '--keys-file', join(blocker, 'keys.json'), '--workspace', 'ws')).rejects.toThrow(`cannot write ${join(blocker, 'keys.json')}: a file is in the way of its folder`);
  });
});

describe('how a failure is shown', () => {
  const aws = (name: string, message = 'm') => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

  test('a usage or configuration error: its message, exit 2; AWS: one line naming what to set, exit 1; a bug: undefined (its trace)', () => {
    expect(failureOf(new UsageError('create needs at least one --workspace <id>'))).toEqual({ line: 'create needs at least one --workspace <id>', exitCode: 2 });
    expect(failureOf(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }))).toEqual({
      line: expect.stringMatching(/^no AWS credentials \(Could not load credentials from any providers\): set AWS_PROFILE .*aws configure/),
      exitCode: 1,
    });
    expect(failureOf(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeUndefined();
    expect(failureOf(new Error('something else'))).toBeUndefined();
  });

  test.each([
    ['ExpiredTokenException', /^AWS refused the credentials \(ExpiredTokenException: m\): refresh them, or set AWS_PROFILE/],
    ['AccessDeniedException', /^AWS denied it .*--profile <name> or AWS_PROFILE/],
    ['ResourceNotFoundException', /check --table and --region/],
    ['NotFoundException', /check --kms-key/],
    ['ThrottlingException', /^AWS answered ThrottlingException: m$/],
  ])('AWS %s', (name, line) => {
    expect(awsProblem(aws(name))).toMatch(line);
  });

  test('AWS out of reach (a wrong region): check --region', () => {
    expect(awsProblem(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND', hostname: 'dynamodb.nowhere-1.amazonaws.com' }))).toBe(
      'cannot reach AWS (ENOTFOUND dynamodb.nowhere-1.amazonaws.com): check --region (or the outputs file\'s Region) and the network',
    );
  });
});

describe('keys in the deployed stack: the secret only ever in KMS ciphertext', () => {
  test('create encrypts under the key with the key id as context; the Lambda side decrypts, caches, and forgets a revoked key', async () => {
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const kms = new KMSClient({ region: 'eu-west-1' });
    const ddbMock = mockClient(ddb);
    const kmsMock = mockClient(kms);
    const items = new Map<string, Record<string, unknown>>();
    ddbMock.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => (items.set(input.Item.leaseId as string, input.Item), {}));
    ddbMock.on(UpdateCommand).resolves({});
    ddbMock.on(GetCommand).callsFake((input: { Key: { leaseId: string } }) => ({ Item: items.get(input.Key.leaseId) }));
    ddbMock.on(DeleteCommand).callsFake((input: { Key: { leaseId: string } }) => {
      const old = items.get(input.Key.leaseId);
      items.delete(input.Key.leaseId);
      return { Attributes: old };
    });
    // A stand-in KMS that "encrypts" by reversing, bound to the encryption context.
    kmsMock.on(EncryptCommand).callsFake((input: { Plaintext: Uint8Array; EncryptionContext: Record<string, string> }) => ({
      CiphertextBlob: Buffer.from(`${input.EncryptionContext.accessKeyId}|${Buffer.from(input.Plaintext).toString('utf8').split('').reverse().join('')}`),
    }));
    kmsMock.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array; EncryptionContext: Record<string, string> }) => {
      const [id, reversed] = Buffer.from(input.CiphertextBlob).toString('utf8').split('|');
      if (id !== input.EncryptionContext.accessKeyId) throw Object.assign(new Error('InvalidCiphertextException'), { name: 'InvalidCiphertextException' });
      return { Plaintext: Buffer.from(reversed!.split('').reverse().join('')) };
    });

    const admin = stackStore({ ddb, kms, tableName: 't', kmsKeyArn: 'arn:aws:kms:eu-west-1:1:key/k' });
    const key = await admin.createKey(['ws_a']);
    const stored = items.get(`accesskey#${key.AccessKeyId}`)!;
    expect(JSON.stringify(stored)).not.toContain(key.AccessKeySecret);
    expect(kmsMock.commandCalls(EncryptCommand)[0]!.args[0].input).toMatchObject({ KeyId: 'arn:aws:kms:eu-west-1:1:key/k', EncryptionContext: { accessKeyId: key.AccessKeyId } });

    let now = 1_000;
    const keys = storedAccessKeys({ ddb, kms, tableName: 't', kmsKeyArn: 'arn:aws:kms:eu-west-1:1:key/k', now: () => now });
    expect(await keys.find(key.AccessKeyId)).toEqual({ accessKeyId: key.AccessKeyId, secret: key.AccessKeySecret, workspaces: ['ws_a'] });
    expect(await keys.find(key.AccessKeyId)).toBeDefined();
    expect(kmsMock.commandCalls(DecryptCommand)).toHaveLength(1); // cached
    expect(await keys.find('LTAIunknown')).toBeUndefined();

    expect(await admin.revokeKey(key.AccessKeyId)).toBe(true);
    expect(await keys.find(key.AccessKeyId)).toBeDefined(); // still cached
    // What `access-keys revoke` promises: gone within 5 minutes.
    now += 5 * 60_000;
    expect(await keys.find(key.AccessKeyId)).toBeUndefined();

    await admin.putGrant({ principal: 'oid-1', subscriptions: ['SUB'], registries: [] });
    expect(await storedAzureGrants({ ddb, tableName: 't' }).grantFor('oid-1')).toEqual({ principal: 'oid-1', subscriptions: ['sub'], registries: [] });
  });
});
