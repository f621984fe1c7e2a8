import { rmSync } from 'node:fs';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { LOCAL_CREDENTIALS } from '../../local/emulators.js';
import { authenticate } from '../../scripts/upload/auth.js';
import { synthesizeWithBundles, STACK_NAME, type Synthesized } from '../support/template-run/synth.js';
import { readTemplate, REGION, startTemplateRun, type TemplateRun } from '../support/template-run/run.js';
import { runE2eSuite, type E2eResult } from '../support/template-run/e2e-child.js';
import { UnresolvedIntrinsicError } from '../support/template-run/environment.js';
import type { Template } from '../support/template-run/template.js';
import { JWT_AUDIENCE, startContractAuth, type ContractAuth } from '../support/template-run/contract-auth.js';

/**
 * The stack as synthesized, run as written (issue 25): cdk.out's template and bundles, each function in
 * a child process with exactly its template environment, behind the template's own triggers, driven by
 * the real end-to-end suite. Sabotaged copies of the template (never the repo's files) must fail it.
 * Under -c auth=contracts too: KMS and the https token issuer emulated (support/template-run/contract-auth.ts).
 */
let synth: Synthesized;
beforeAll(() => {
  synth = synthesizeWithBundles();
}, 90_000);
afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

const E2E_ENV = { E2E_AUTH: 'iam', AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
const fresh = (): Template => readTemplate(synth.templateFile);
const functionId = (t: Template, prefix: string) => {
  const ids = Object.keys(t.Resources).filter((id) => id.startsWith(prefix) && t.Resources[id]!.Type === 'AWS::Lambda::Function');
  expect(ids).toHaveLength(1);
  return ids[0]!;
};
/** Lambda's own variables and the two endpoint overrides: everything else must come from the template. */
const ADDED_BY_RUN = /^(AWS_REGION|AWS_DEFAULT_REGION|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_LAMBDA_.*|AWS_EXECUTION_ENV|_HANDLER|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|LANG|TZ|PATH|AWS_ENDPOINT_URL_S3|AWS_ENDPOINT_URL_DYNAMODB)$/;

async function withRun<T>(template: Template, body: (run: TemplateRun) => Promise<T>): Promise<T> {
  const run = await startTemplateRun({ outdir: synth.outdir, template, stackName: STACK_NAME });
  try {
    return await body(run);
  } finally {
    await run.close();
  }
}

const describeFailure = (r: E2eResult, run: TemplateRun) => `${r.failures.join('\n')}\nharness: ${run.problems().join('\n')}`;

describe('template-driven run (default stack)', () => {
  test('every function of the template: bundle, handler, runtime, memory, timeout and exactly its environment', async () => {
    const template = fresh();
    await withRun(template, async (run) => {
      expect(run.model.functions.map((f) => f.logicalId).sort()).toEqual(
        ['AlibabaApi', 'AzureApi', 'LeaseEventsEnrichment', 'LeaseSettler', 'LeasesApi', 'RetentionSweep', 'S3UploadEvents'].map((p) => functionId(template, p)).sort(),
      );
      for (const fn of run.model.functions) {
        const declared = template.Resources[fn.logicalId]!.Properties;
        expect(fn).toMatchObject({ handler: declared.Handler, runtime: declared.Runtime, memoryMb: declared.MemorySize, timeoutSeconds: declared.Timeout });
        expect(fn.bundleDir.endsWith(`asset.${declared.Code.S3Key.replace(/\.zip$/, '')}`)).toBe(true);
        const env = run.environments[fn.logicalId]!;
        const fromTemplate = Object.keys(env).filter((k) => !ADDED_BY_RUN.test(k));
        expect(fromTemplate.sort()).toEqual(Object.keys(declared.Environment.Variables).sort());
        expect(env).toMatchObject({ LEASE_TABLE_NAME: run.table, UPLOAD_BUCKET_NAME: run.bucket, _HANDLER: declared.Handler, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(declared.MemorySize) });
      }
      expect(run.model.routes.length).toBeGreaterThan(0);
      expect(run.model.notifications).toEqual([expect.objectContaining({ events: ['s3:ObjectCreated:*'], prefix: 'tmp/', functionId: functionId(template, 'S3UploadEvents') })]);
      expect(run.model.schedules).toEqual([expect.objectContaining({ functionId: functionId(template, 'RetentionSweep') })]);
      expect(run.model.streamConsumers.map((c) => [c.kind, c.functionId, c.filters.length])).toEqual(
        expect.arrayContaining([
          ['pipe-enrichment', functionId(template, 'LeaseEventsEnrichment'), 1],
          ['event-source-mapping', functionId(template, 'LeaseSettler'), 2],
        ]),
      );
    });
  }, 60_000);

  test('the e2e suite passes through the bundles; the stream feeds the pipe and the settler; the schedule sweeps', async () => {
    await withRun(fresh(), async (run) => {
      const result = await runE2eSuite({ ...E2E_ENV, API_URL: run.url, E2E_EVENT_TIMEOUT_MS: '30000' });
      expect({ ok: result.ok, passed: result.passed, failed: result.failed }).toEqual({ ok: true, passed: 4, failed: 0 });
      await run.settled();
      const [sweep] = await run.runSchedules();
      expect(sweep?.result).toMatchObject({ failed: 0 });
      expect(run.notifications.delivered.every((d) => d.key.startsWith('tmp/'))).toBe(true);
      expect(run.notifications.delivered.length).toBeGreaterThanOrEqual(3);
      expect(run.stream.bus.map((e) => e.source)).toContain('upload-lease-broker');
      expect(Object.values(run.stream.passed).length).toBe(2);
      expect(run.problems()).toEqual([]);
    });
  }, 120_000);

  test('an intrinsic the run cannot resolve fails it, naming the function, the variable and the logical id', async () => {
    const template = fresh();
    const id = functionId(template, 'LeasesApi');
    template.Resources[id]!.Properties.Environment.Variables.AUDIT_QUEUE_URL = { Ref: 'AuditQueue1234' };
    await expect(startTemplateRun({ outdir: synth.outdir, template, stackName: STACK_NAME })).rejects.toThrow(
      new UnresolvedIntrinsicError(id, 'AUDIT_QUEUE_URL', 'Ref AuditQueue1234: logical id AuditQueue1234 has no emulated resource'),
    );
  });
});

describe('sabotaged templates fail the run', () => {
  test('an environment variable removed from a function (LEASE_TABLE_NAME of the Alibaba API)', async () => {
    const template = fresh();
    const id = functionId(template, 'AlibabaApi');
    delete template.Resources[id]!.Properties.Environment.Variables.LEASE_TABLE_NAME;
    await withRun(template, async (run) => {
      expect(run.environments[id]).not.toHaveProperty('LEASE_TABLE_NAME');
      const result = await runE2eSuite({ ...E2E_ENV, API_URL: run.url, E2E_EVENT_TIMEOUT_MS: '5000' });
      expect(result.ok).toBe(false);
      const why = describeFailure(result, run);
      console.log(`sabotage: env var removed\n${why.slice(0, 1500)}`);
      expect(why).toContain('LEASE_TABLE_NAME');
      expect(run.problems().some((p) => p.includes(id))).toBe(true);
    });
  }, 90_000);

  test('a wrong handler path (index.handlr)', async () => {
    const template = fresh();
    const id = functionId(template, 'AlibabaApi');
    template.Resources[id]!.Properties.Handler = 'index.handlr';
    await withRun(template, async (run) => {
      const result = await runE2eSuite({ ...E2E_ENV, API_URL: run.url, E2E_EVENT_TIMEOUT_MS: '5000' });
      expect(result.ok).toBe(false);
      const why = describeFailure(result, run);
      console.log(`sabotage: handler path wrong\n${why.slice(0, 1500)}`);
      expect(why).toContain(`${id}: Runtime.HandlerNotFound: index.handlr is undefined or not exported`);
    });
  }, 90_000);

  test('an S3 notification prefix that does not match the keys the code writes (tmp/)', async () => {
    const template = fresh();
    const [notificationsId, notifications] = Object.entries(template.Resources).find(([, r]) => r.Type === 'Custom::S3BucketNotifications')!;
    const rule = notifications.Properties.NotificationConfiguration.LambdaFunctionConfigurations[0].Filter.Key.FilterRules[0];
    expect(rule).toEqual({ Name: 'prefix', Value: 'tmp/' });
    rule.Value = 'uploads/';
    await withRun(template, async (run) => {
      // One upload is enough to show it: the Alibaba flow waits (briefly) for UPLOADED.
      const result = await runE2eSuite({ ...E2E_ENV, API_URL: run.url, E2E_EVENT_TIMEOUT_MS: '3000' }, { testNamePattern: 'Alibaba: lease, PUT' });
      expect(result.ok).toBe(false);
      await run.settled();
      const why = `${describeFailure(result, run)}\nobject-created records matching no notification (${notificationsId}): ${run.notifications.unmatched.map((u) => u.key).join(', ')}`;
      console.log(`sabotage: notification filter wrong\n${why.slice(0, 1500)}`);
      expect(why).toMatch(/not UPLOADED in time/);
      expect(run.notifications.delivered).toEqual([]);
      expect(run.notifications.unmatched.map((u) => u.key)).toEqual([expect.stringMatching(/^tmp\//)]);
    });
  }, 60_000);
});

describe('template-driven run (-c auth=contracts)', () => {
  // The API functions authenticate each contract's own scheme: ACS3 with access keys stored in the table
  // (secrets under the template's KMS key, here the KMS emulator's), bearer tokens of an https issuer
  // the stack is synthesized with. One synth for the variant, with that issuer's URL.
  let auth: ContractAuth;
  let contracts: Synthesized | undefined;
  beforeAll(async () => {
    auth = await startContractAuth();
    contracts = synthesizeWithBundles(auth.context);
  }, 90_000);
  afterAll(async () => {
    await auth?.close();
    if (contracts) rmSync(contracts.outdir, { recursive: true, force: true });
  });
  const freshContracts = (): Template => readTemplate(contracts!.templateFile);
  const kmsKeyId = (t: Template) => {
    const ids = Object.keys(t.Resources).filter((id) => t.Resources[id]!.Type === 'AWS::KMS::Key');
    expect(ids).toHaveLength(1);
    return ids[0]!;
  };
  /** The run's additions under auth=contracts: also the KMS endpoint and the test issuer's trust root. */
  const CONTRACTS_ADDED = new RegExp(ADDED_BY_RUN.source.replace(/\)\$$/, '|AWS_ENDPOINT_URL_KMS|NODE_EXTRA_CA_CERTS)$'));

  async function withContractsRun<T>(body: (run: TemplateRun) => Promise<T>, { trusted = true } = {}): Promise<T> {
    const template = freshContracts();
    const { trustRoot, ...options } = auth.runOptions(template);
    const run = await startTemplateRun({ outdir: contracts!.outdir, template, stackName: STACK_NAME, ...options, ...(trusted ? { trustRoot } : {}) });
    try {
      return await body(run);
    } finally {
      await run.close();
    }
  }

  test('ACS3 with a key stored as access-keys stores it (KMS, encryption context), tokens of the https issuer: the e2e suite passes', async () => {
    await withContractsRun(async (run) => {
      const template = run.model.template;
      const apiIds = ['AlibabaApi', 'AzureApi', 'LeasesApi'].map((p) => functionId(template, p));
      for (const fn of run.model.functions) {
        const declared = template.Resources[fn.logicalId]!.Properties.Environment.Variables;
        const env = run.environments[fn.logicalId]!;
        expect(Object.keys(env).filter((k) => !CONTRACTS_ADDED.test(k)).sort()).toEqual(Object.keys(declared).sort());
        expect(env).toMatchObject({ AWS_ENDPOINT_URL_KMS: auth.kms.url, NODE_EXTRA_CA_CERTS: auth.issuer.caFile });
        if (!apiIds.includes(fn.logicalId)) continue;
        expect(declared).toMatchObject({ AUTH: 'contracts', JWT_ISSUER: auth.issuer.issuer, JWT_AUDIENCE: JWT_AUDIENCE, ACCESS_KEYS_KMS_KEY_ARN: { 'Fn::GetAtt': [kmsKeyId(template), 'Arn'] } });
        expect(env.ACCESS_KEYS_KMS_KEY_ARN).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\//);
      }

      const credentials = await auth.credentials(run);
      expect(credentials.kmsKeyArn).toBe(run.environments[apiIds[0]!]!.ACCESS_KEYS_KMS_KEY_ARN);
      expect(credentials.tableName).toBe(run.table);
      const result = await runE2eSuite({ ...credentials.e2eEnv, API_URL: run.url, E2E_EVENT_TIMEOUT_MS: '30000' });
      expect({ ok: result.ok, passed: result.passed, failed: result.failed, failures: result.failures }).toEqual({ ok: true, passed: 4, failed: 0, failures: [] });
      await run.settled();

      // The secret was encrypted once (the store) and decrypted by the functions, bound to the key id.
      const calls = auth.kms.requests.filter((r) => r.keyId === credentials.kmsKeyArn);
      expect(calls.filter((r) => r.operation === 'Encrypt')).toEqual([{ operation: 'Encrypt', keyId: credentials.kmsKeyArn, encryptionContext: { accessKeyId: credentials.accessKeyId } }]);
      const decrypts = calls.filter((r) => r.operation === 'Decrypt');
      expect(decrypts.length).toBeGreaterThan(0);
      expect(decrypts.filter((r) => r.error !== undefined || r.encryptionContext?.accessKeyId !== credentials.accessKeyId)).toEqual([]);
      // The issuer's keys were fetched over TLS, trusted through NODE_EXTRA_CA_CERTS only.
      expect(auth.issuer.served).toEqual(expect.arrayContaining(['/.well-known/openid-configuration', '/keys']));
      // Each signed request spent a nonce in the table.
      const ddb = new DynamoDBClient({ region: REGION, endpoint: run.emulators.dynamoEndpoint, credentials: LOCAL_CREDENTIALS });
      try {
        const nonces = await ddb.send(
          new ScanCommand({ TableName: run.table, FilterExpression: 'begins_with(leaseId, :p)', ExpressionAttributeValues: { ':p': { S: `nonce#${credentials.accessKeyId}#` } }, Select: 'COUNT' }),
        );
        expect(nonces.Count).toBeGreaterThan(5);
      } finally {
        ddb.destroy();
      }
      expect(run.stream.bus.map((e) => e.source)).toContain('upload-lease-broker');
      expect(run.problems()).toEqual([]);
    });
  }, 120_000);

  test('a stored secret moved to another access key id does not decrypt: KMS refuses the other encryption context', async () => {
    await withContractsRun(async (run) => {
      const credentials = await auth.credentials(run);
      const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION, endpoint: run.dynamoEndpoint, credentials: LOCAL_CREDENTIALS }));
      const kms = new KMSClient({ region: REGION, endpoint: auth.kms.url, credentials: LOCAL_CREDENTIALS });
      try {
        const item = (await ddb.send(new GetCommand({ TableName: run.table, Key: { leaseId: `accesskey#${credentials.accessKeyId}` } }))).Item!;
        const blob = Buffer.from(item.secretCiphertext as string, 'base64');
        const decrypt = (accessKeyId: string) => kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: credentials.kmsKeyArn, EncryptionContext: { accessKeyId } }));
        expect(Buffer.from((await decrypt(credentials.accessKeyId)).Plaintext!).toString()).toBe(credentials.e2eEnv.E2E_ACCESS_KEY_SECRET);
        await expect(decrypt('LTAIsomeoneelse')).rejects.toMatchObject({ name: 'InvalidCiphertextException' });

        // Through the API: the same ciphertext and workspaces under another id, signed with the (right) secret.
        const moved = 'LTAImovedciphertext00000';
        await ddb.send(new PutCommand({ TableName: run.table, Item: { ...item, leaseId: `accesskey#${moved}` } }));
        const signed = async (accessKeyId: string) => {
          const url = new URL(`${run.url}/${credentials.workspace}/datacenter/category/default`);
          const body = new URLSearchParams({ FileName: 'moved.md', Md5: '0'.repeat(32), SizeInBytes: '1' }).toString();
          const headers = await authenticate({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, { kind: 'alibaba', accessKeyId, accessKeySecret: credentials.e2eEnv.E2E_ACCESS_KEY_SECRET! });
          const res = await fetch(url, { method: 'POST', headers, body });
          return { status: res.status, body: await res.text() };
        };
        const refused = await signed(moved);
        expect({ status: refused.status, code: JSON.parse(refused.body).Code }).toEqual({ status: 500, code: 'InternalError' }); // the key store failed: the contract's own error
        expect(auth.kms.requests).toContainEqual({ operation: 'Decrypt', keyId: credentials.kmsKeyArn, encryptionContext: { accessKeyId: moved }, error: 'InvalidCiphertextException' });
        expect((await signed(credentials.accessKeyId)).status).toBe(200);
        await run.settled();
        expect(run.problems()).toEqual([]);
      } finally {
        ddb.destroy();
        kms.destroy();
      }
    });
  }, 60_000);

  test('without the trust root the children refuse the issuer\'s certificate: Azure requests fail, Alibaba ones pass', async () => {
    await withContractsRun(
      async (run) => {
        expect(Object.values(run.environments).some((env) => 'NODE_EXTRA_CA_CERTS' in env)).toBe(false);
        const credentials = await auth.credentials(run);
        const servedBefore = auth.issuer.served.length;
        const azure = await fetch(`${run.url}/subscriptions/${credentials.subscription}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/codes/c/versions/1/startPendingUpload?api-version=2025-09-01`, {
          method: 'POST',
          headers: { authorization: `Bearer ${credentials.e2eEnv.E2E_AZURE_TOKEN}`, 'content-type': 'application/json' },
          body: '{}',
        });
        // The issuer unreachable is a dependency failure (503, ARM's format), not the caller's bad token.
        expect({ status: azure.status, code: ((await azure.json()) as any).error?.code }).toEqual({ status: 503, code: expect.any(String) });
        expect(auth.issuer.served.length).toBe(servedBefore); // no TLS handshake got as far as a request
        const url = new URL(`${run.url}/${credentials.workspace}/datacenter/category/default`);
        const body = new URLSearchParams({ FileName: 'a.md', Md5: '0'.repeat(32), SizeInBytes: '1' }).toString();
        const signed = await authenticate({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, { kind: 'alibaba', accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.e2eEnv.E2E_ACCESS_KEY_SECRET! });
        expect((await fetch(url, { method: 'POST', headers: signed, body })).status).toBe(200);
        await run.settled();
      },
      { trusted: false },
    );
  }, 60_000);

  test('without the KMS emulator the run refuses to start, naming the key variable it cannot resolve', async () => {
    const template = freshContracts();
    const error = await startTemplateRun({ outdir: contracts!.outdir, template, stackName: STACK_NAME }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnresolvedIntrinsicError);
    expect((error as UnresolvedIntrinsicError).variable).toBe('ACCESS_KEYS_KMS_KEY_ARN');
    expect((error as Error).message).toContain(`logical id ${kmsKeyId(template)} has no emulated Arn`);
  });
});
