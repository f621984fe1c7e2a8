import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, jest, test } from '@jest/globals';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { run, stackTarget, USAGE, UsageError } from '../../scripts/access-keys.js';
import { stackStore } from '../../scripts/credential-stores.js';
import { accessKeysFromFile } from '../../shared/auth/access-keys.js';
import { azureGrantsFromFile, parseAzureGrants } from '../../shared/auth/azure-grants.js';
import { log } from '../../shared/log.js';
import { storedAccessKeys, storedAzureGrants } from '../../shared/auth/stored-credentials.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ulb-keys-'));

async function cli(...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  await run(argv, (line) => lines.push(line));
  return lines;
}

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
    await expect(cli()).rejects.toThrow(USAGE);
  });

  test('usage errors name what is missing', async () => {
    await expect(cli('create', '--keys-file', join(tmp(), 'k.json'))).rejects.toThrow('--workspace');
    await expect(cli('frobnicate')).rejects.toThrow('unknown command "frobnicate"\nusage: npm run access-keys');
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
