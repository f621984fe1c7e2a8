import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lambdaBundle } from '../../infra/bundle-cache.js';
import { FORWARDED_HEADERS } from '../../infra/blob-front.js';
import { FRONT_FUNCTION_DIR, KVS_ID_PLACEHOLDER, withStoreId } from '../../infra/blob-front-functions.js';
import { KEY_SYNC_ACTIONS } from '../../infra/blob-front-key.js';
import { OUTPUTS } from '../../infra/outputs.js';
import { TEMP_PREFIX } from '../../shared/lease/keys.js';
import { DEFAULTS } from '../../shared/config.js';
import { iamStatements, logicalId, renderArn, resourcesOf, statementsOfFunction, synthStack } from './helpers.js';

const BLOB_FRONT = { azureUploads: 'blob-front' } as const;
/** CloudFront's managed CachingDisabled policy. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const CLOUDFRONT_TYPES = /^AWS::CloudFront::|^AWS::SecretsManager::|^Custom::BlobFront/;

describe('default (-c azureUploads=s3-presigned): nothing of the front is synthesized', () => {
  const { template } = synthStack();

  test('no distribution, function, KeyValueStore, secret or key copy; no front outputs', () => {
    expect(Object.values(resourcesOf(template)).filter((r) => CLOUDFRONT_TYPES.test(r.Type))).toEqual([]);
    const outputs = Object.keys(template.toJSON().Outputs ?? {});
    expect(outputs).not.toContain(OUTPUTS.blobFrontUrl);
    expect(outputs).not.toContain(OUTPUTS.blobFrontDistributionId);
  });

  test('the Azure Lambda keeps today\'s presigned mode: no front environment', () => {
    const vars = resourcesOf(template)[logicalId(template, 'AWS::Lambda::Function', 'AzureApi')]!.Properties.Environment.Variables;
    expect(Object.keys(vars).filter((k) => /AZURE_UPLOADS|BLOB_FRONT/.test(k))).toEqual([]);
  });
});

describe('-c azureUploads=blob-front', () => {
  const { template } = synthStack(BLOB_FRONT);
  const resources = resourcesOf(template);
  const only = (type: string) => {
    const found = Object.entries(resourcesOf(template, type));
    expect(found).toHaveLength(1);
    return { id: found[0]![0], ...found[0]![1] };
  };
  const distribution = only('AWS::CloudFront::Distribution');
  const config = distribution.Properties.DistributionConfig;
  const behavior = config.DefaultCacheBehavior;
  const store = only('AWS::CloudFront::KeyValueStore');
  const secret = only('AWS::SecretsManager::Secret');
  const bucketId = logicalId(template, 'AWS::S3::Bucket', 'UploadsBucket');
  const distributionArn = `arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<${distribution.id}>`;

  test('one distribution over the upload bucket through Origin Access Control (signs every request, SigV4)', () => {
    const oac = only('AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0]).toMatchObject({
      DomainName: { 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] },
      OriginAccessControlId: { 'Fn::GetAtt': [oac.id, 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(behavior.TargetOriginId).toBe(config.Origins[0].Id);
  });

  test('default behaviour: HEAD, GET and PUT allowed, nothing cached, HTTPS only; HTTP/2, price class 100', () => {
    expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(['HEAD', 'GET', 'PUT']));
    expect(behavior.CachePolicyId).toBe(CACHING_DISABLED);
    expect(behavior.ViewerProtocolPolicy).toBe('https-only');
    expect(config).toMatchObject({ HttpVersion: 'http2', PriceClass: 'PriceClass_100', Enabled: true });
    expect(config.CacheBehaviors).toBeUndefined();
    // The default *.cloudfront.net certificate (its TLS policy is CloudFront's; see the CFR4 acknowledgement).
    expect(config.ViewerCertificate).toBeUndefined();
  });

  test('origin requests carry exactly the Put Blob headers S3 needs: no query string, no cookies', () => {
    const policy = only('AWS::CloudFront::OriginRequestPolicy');
    expect(behavior.OriginRequestPolicyId).toEqual({ Ref: policy.id });
    expect(policy.Properties.OriginRequestPolicyConfig).toMatchObject({
      HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['content-md5', 'content-type', 'if-none-match', 'if-match'] },
      QueryStringsConfig: { QueryStringBehavior: 'none' },
      CookiesConfig: { CookieBehavior: 'none' },
    });
    expect([...FORWARDED_HEADERS]).toEqual(policy.Properties.OriginRequestPolicyConfig.HeadersConfig.Headers);
  });

  test.each([
    ['viewer-request', 'viewer-request.js'],
    ['viewer-response', 'viewer-response.js'],
  ])('%s: a cloudfront-js-2.0 function from infra/blob-front/%s, with the KeyValueStore, on the default behaviour', (eventType, file) => {
    const association = (behavior.FunctionAssociations as { EventType: string; FunctionARN: { 'Fn::GetAtt': string[] } }[]).find((a) => a.EventType === eventType)!;
    const fnId = association.FunctionARN['Fn::GetAtt'][0]!;
    const fn = resources[fnId]!;
    expect(fn.Type).toBe('AWS::CloudFront::Function');
    expect(fn.Properties.AutoPublish).toBe(true);
    expect(fn.Properties.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0', KeyValueStoreAssociations: [{ KeyValueStoreARN: { 'Fn::GetAtt': [store.id, 'Arn'] } }] });
    const source = readFileSync(join(FRONT_FUNCTION_DIR, file), 'utf8');
    const code = fn.Properties.FunctionCode;
    // The file as it is, or (if it names the store) the file with the store's id in place of the placeholder.
    if (source.includes(KVS_ID_PLACEHOLDER)) {
      expect(code['Fn::Join'][1]).toEqual(expect.arrayContaining([{ 'Fn::GetAtt': [store.id, 'Id'] }]));
      expect(JSON.stringify(code)).not.toContain(KVS_ID_PLACEHOLDER);
    } else {
      expect(code).toBe(source);
    }
  });

  test('account-global CloudFront names start with the region: one stack name deploys in two regions of an account', () => {
    const names = [
      store.Properties.Name,
      only('AWS::CloudFront::OriginAccessControl').Properties.OriginAccessControlConfig.Name,
      only('AWS::CloudFront::OriginRequestPolicy').Properties.OriginRequestPolicyConfig.Name,
      ...Object.values(resourcesOf(template, 'AWS::CloudFront::Function')).map((f) => f.Properties.Name),
    ];
    expect(names).toHaveLength(5);
    for (const name of names) {
      expect(name['Fn::Join'][1][0]).toEqual({ Ref: 'AWS::Region' });
      expect('ap-southeast-4'.length + renderArn(name).replace('<AWS::Region>', '').length).toBeLessThanOrEqual(64);
    }
  });

  test('exactly two function associations; the KVS id placeholder is replaced wherever it appears', () => {
    expect(behavior.FunctionAssociations.map((a: { EventType: string }) => a.EventType).sort()).toEqual(['viewer-request', 'viewer-response']);
    expect(withStoreId(`cf.kvs('${KVS_ID_PLACEHOLDER}'); // ${KVS_ID_PLACEHOLDER}`, 'abc')).toBe("cf.kvs('abc'); // abc");
    expect(withStoreId('cf.kvs();', 'abc')).toBe('cf.kvs();');
  });

  test('bucket policy: CloudFront only for this distribution (AWS:SourceArn), objects under tmp/ only, ListBucket for 404s', () => {
    const policies = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy'));
    const forCloudFront = policies.flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as any[])
        .filter((s) => JSON.stringify(s.Principal ?? {}).includes('cloudfront.amazonaws.com'))
        .map((s) => ({ bucket: p.Properties.Bucket, ...s })),
    );
    const rendered = forCloudFront.map((s) => ({
      bucket: s.bucket,
      effect: s.Effect,
      principal: s.Principal,
      actions: [s.Action].flat().sort(),
      resources: [s.Resource].flat().map(renderArn),
      sourceArn: renderArn(s.Condition?.StringEquals?.['AWS:SourceArn']),
      otherConditions: Object.keys(s.Condition ?? {}).filter((k) => k !== 'StringEquals'),
    }));
    const base = { bucket: { Ref: bucketId }, effect: 'Allow', principal: { Service: 'cloudfront.amazonaws.com' }, sourceArn: distributionArn, otherConditions: [] };
    expect(rendered).toEqual([
      { ...base, actions: ['s3:GetObject', 's3:PutObject'], resources: [`<${bucketId}.Arn>/${TEMP_PREFIX}*`] },
      { ...base, actions: ['s3:ListBucket'], resources: [`<${bucketId}.Arn>`] },
    ]);
  });

  test('access logs: a log bucket of its own (ACLs for CloudFront, objects owned by the account), itself logged', () => {
    const logBucketId = config.Logging.Bucket['Fn::GetAtt'][0] as string;
    const logBucket = resources[logBucketId]!;
    expect(logBucket.Type).toBe('AWS::S3::Bucket');
    expect(logBucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] });
    expect(logBucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(logBucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalId(template, 'AWS::S3::Bucket', 'UploadsAccessLogs') });
    expect(logBucketId).not.toBe(bucketId);
  });

  test('the signing key is generated by Secrets Manager at deploy: 64 letters and digits, never a value in the template', () => {
    expect(secret.Properties.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    expect(secret.Properties.SecretString).toBeUndefined();
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('resolve:secretsmanager');
    expect(json).not.toMatch(/"SecretString"/);
  });

  test('no Lambda environment holds the key: the Azure Lambda gets the front URL and the secret ARN (a reference), nothing else new', () => {
    const azure = resources[logicalId(template, 'AWS::Lambda::Function', 'AzureApi')]!.Properties.Environment.Variables;
    expect(azure.AZURE_UPLOADS).toBe('blob-front');
    expect(azure.BLOB_FRONT_KEY_SECRET_ARN).toEqual({ Ref: secret.id });
    expect(renderArn(azure.BLOB_FRONT_URL)).toBe(`https://<${distribution.id}.DomainName>`);
    const withoutFront = synthStack().template;
    const before = resourcesOf(withoutFront)[logicalId(withoutFront, 'AWS::Lambda::Function', 'AzureApi')]!.Properties.Environment.Variables;
    expect(Object.keys(azure).filter((k) => !(k in before)).sort()).toEqual(['AZURE_UPLOADS', 'BLOB_FRONT_KEY_SECRET_ARN', 'BLOB_FRONT_URL']);
    for (const [id, fn] of Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))) {
      for (const [name, value] of Object.entries((fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>)) {
        // A key would be a literal; the only mention of the secret is the ARN reference above.
        if (JSON.stringify(value).includes(secret.id)) expect([id, name, value]).toEqual([logicalId(template, 'AWS::Lambda::Function', 'AzureApi'), 'BLOB_FRONT_KEY_SECRET_ARN', { Ref: secret.id }]);
        expect(typeof value === 'string' && /^[A-Za-z0-9]{64}$/.test(value)).toBe(false);
        if (!['BLOB_FRONT_KEY_SECRET_ARN', 'ACCESS_KEYS_KMS_KEY_ARN'].includes(name)) expect(name).not.toMatch(/KEY|SECRET|SIGNING/);
      }
      if (id.startsWith('AzureApi')) continue;
      expect(Object.keys(fn.Properties.Environment?.Variables ?? {}).filter((k) => /BLOB_FRONT|AZURE_UPLOADS/.test(k))).toEqual([]);
    }
  });

  test('only the Azure Lambda and the key-copy Lambda may read the secret (every IAM statement scanned)', () => {
    const readers = iamStatements(template).filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')) || s.resources.includes(`<${secret.id}>`) || s.resources.includes('*'));
    const policiesOf = (prefix: string) => new Set(statementsOfFunction(template, prefix).map((s) => s.policy));
    // The one "*" statement of the stack is dynamodb:ListStreams (test/infra/iam.test.ts); no secretsmanager action on it.
    const onSecret = readers.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')));
    expect(readers.filter((s) => !onSecret.includes(s)).flatMap((s) => s.actions)).toEqual(['dynamodb:ListStreams']);
    expect(onSecret.map((s) => [s.actions, s.resources])).toEqual([
      [['secretsmanager:GetSecretValue'], [`<${secret.id}>`]],
      [['secretsmanager:GetSecretValue'], [`<${secret.id}>`]],
    ]);
    expect(onSecret.filter((s) => policiesOf('AzureApi').has(s.policy))).toHaveLength(1);
    expect(onSecret.filter((s) => policiesOf('BlobFrontSigningKeySync').has(s.policy))).toHaveLength(1);
    // No resource policy on the secret lets anyone else in.
    expect(Object.keys(resourcesOf(template, 'AWS::SecretsManager::ResourcePolicy'))).toEqual([]);
  });

  test('the key-copy Lambda: exactly GetSecretValue on the secret, Describe/UpdateKeys on the store, its own logs', () => {
    const fn = resources[logicalId(template, 'AWS::Lambda::Function', 'BlobFrontSigningKeySync')]!;
    const grants: Record<string, string[]> = {};
    for (const s of statementsOfFunction(template, 'BlobFrontSigningKeySync')) for (const r of s.resources) grants[r] = [...(grants[r] ?? []), ...s.actions].sort();
    expect(grants).toEqual({
      [`<${secret.id}>`]: [...KEY_SYNC_ACTIONS.secret],
      [`<${store.id}.Arn>`]: [...KEY_SYNC_ACTIONS.store].sort(),
      [`<${fn.Properties.LoggingConfig.LogGroup.Ref}.Arn>`]: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    });
    expect(KEY_SYNC_ACTIONS.store).toEqual(['cloudfront-keyvaluestore:DescribeKeyValueStore', 'cloudfront-keyvaluestore:UpdateKeys']);
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(['NODE_OPTIONS']);
    const role = resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('the key copy runs at deploy, before the distribution, with the store, the secret ARN, the size limit and the rotation', () => {
    const copy = only('Custom::BlobFrontSigningKey');
    const syncFn = logicalId(template, 'AWS::Lambda::Function', 'BlobFrontSigningKeySync');
    expect(copy.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [syncFn, 'Arn'] },
      KvsArn: { 'Fn::GetAtt': [store.id, 'Arn'] },
      SecretArn: { Ref: secret.id },
      MaxBlobBytes: String(DEFAULTS.maxUploadBytes),
      Rotation: '0',
    });
    expect(copy.DependsOn).toEqual(expect.arrayContaining([logicalId(template, 'AWS::IAM::Policy', 'BlobFrontSigningKeySyncRoleDefaultPolicy')]));
    expect(distribution.DependsOn).toEqual(expect.arrayContaining([copy.id]));
  });

  test('-c blobFrontKeyRotation and -c maxUploadBytes reach the key copy (a new rotation value re-runs it)', () => {
    const other = synthStack({ ...BLOB_FRONT, blobFrontKeyRotation: '2026-12-rotated', maxUploadBytes: 5_000_000 }).template;
    const [copy] = Object.values(resourcesOf(other, 'Custom::BlobFrontSigningKey'));
    expect(copy!.Properties).toMatchObject({ Rotation: '2026-12-rotated', MaxBlobBytes: '5000000' });
  });

  test('outputs BlobFrontUrl (https://...) and BlobFrontDistributionId', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(renderArn(outputs[OUTPUTS.blobFrontUrl]!.Value)).toBe(`https://<${distribution.id}.DomainName>`);
    expect(outputs[OUTPUTS.blobFrontDistributionId]!.Value).toEqual({ Ref: distribution.id });
  });
});

describe('lambdas/blob-front-key bundles like every broker Lambda, with the JS SigV4A signer in it', () => {
  test('ESM handler, SDK bundled (not the runtime\'s), SigV4A registered', () => {
    const code = readFileSync(lambdaBundle('blob-front-key').file, 'utf8');
    expect(code).toMatch(/export\s*\{[^}]*as handler\}/);
    expect(code).not.toMatch(/from\s*"@aws-sdk\//);
    // @smithy/signature-v4a registering itself (the KeyValueStore API is SigV4A-only, Lambda has no CRT signer).
    expect(code).toMatch(/\.SignatureV4a=[^=]/);
  });
});

describe('settings', () => {
  test('an unknown azureUploads value fails the synth naming the allowed values', () => {
    expect(() => synthStack({ azureUploads: 'blob' })).toThrow('context azureUploads must be "s3-presigned" or "blob-front", got "blob"');
  });

  test('blob-front on LocalStack is refused (no CloudFront there)', () => {
    expect(() => synthStack({ ...BLOB_FRONT, localstack: 'true' })).toThrow(/azureUploads=blob-front needs CloudFront/);
  });

  test('a blobFrontKeyRotation that is not a short token is refused', () => {
    expect(() => synthStack({ ...BLOB_FRONT, blobFrontKeyRotation: 'a b' })).toThrow(/context blobFrontKeyRotation must be/);
  });
});
