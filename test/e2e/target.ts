import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { OUTPUTS } from '../../infra/outputs.js';
import { authenticate, regionOfApiHost, type AuthScheme } from '../../scripts/upload/auth.js';
import { StackOutputsError } from '../../scripts/stack-outputs.js';
import { deployedOutputs, remoteApiUrl } from '../../scripts/e2e-target.js';
import { startTestBroker, type TestBroker } from '../support/local-broker.js';

/**
 * Where the end-to-end suite points. Under `npm run test:e2e` (E2E=1): API_URL, or the ApiUrl in
 * cdk-outputs.json written by `npm run deploy` (CDK_OUTPUTS_FILE elsewhere, E2E_STACK among several),
 * authenticated as E2E_AUTH says (see `e2eAuth`). Under `npm test`: a local mode started in-process.
 */
export interface Target {
  readonly baseUrl: string;
  readonly kind: 'in-process' | 'remote';
  /** How long to wait for an upload event to be processed. */
  readonly eventTimeoutMs: number;
  /** The Alibaba workspace and Azure subscription the suite works in (its caller's own, under auth=contracts). */
  readonly workspace: string;
  readonly subscription: string;
  /** `as` names whose caller a broker route (`/leases/...`) speaks for, under auth=contracts. */
  fetch(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string; as?: Contract }): Promise<Response>;
  /** Remembers an uploaded object so close() can remove it from a shared (remote) bucket. */
  track(uploadUrl: string): void;
  close(): Promise<void>;
}

/** The object key of a presigned URL, virtual-hosted or path-style. */
function keyOfUrl(url: string, bucket: string): string {
  const path = decodeURIComponent(new URL(url).pathname.slice(1));
  return path.startsWith(`${bucket}/`) ? path.slice(bucket.length + 1) : path;
}

export type Contract = 'alibaba' | 'azure';
type E2eAuth = (contract: Contract) => AuthScheme;

const required = (env: NodeJS.ProcessEnv, name: string) => {
  const value = env[name];
  if (!value) throw new StackOutputsError(`E2E_AUTH=contracts needs ${name} (${CONTRACT_SETTINGS[name]})`);
  return value;
};
const CONTRACT_SETTINGS: Record<string, string> = {
  E2E_ACCESS_KEY_ID: 'an access key of the stack: npm run access-keys -- create --workspace <id>',
  E2E_ACCESS_KEY_SECRET: 'the secret printed once by access-keys create',
  E2E_WORKSPACE: 'the workspace that key may use',
  E2E_AZURE_TOKEN: 'a bearer token of the stack\'s JWT issuer and audience',
  E2E_SUBSCRIPTION: 'a subscription granted to that token\'s principal: npm run access-keys -- grant',
};

/**
 * How the suite authenticates, as the stack was deployed: E2E_AUTH=iam (SigV4 with the default credential
 * chain, AWS_PROFILE honoured; the default for execute-api hosts), jwt (E2E_JWT as a bearer token),
 * contracts (each contract's own scheme: ACS3 with an access key for Alibaba routes, a bearer token for
 * Azure ones), or none. The same signing as `ulb`, so the suite also checks the CLI's.
 */
export function e2eAuth(env: NodeJS.ProcessEnv, region: string, url: URL): E2eAuth {
  const auth = env.E2E_AUTH ?? (url.hostname.includes('.execute-api.') ? 'iam' : 'none');
  switch (auth) {
    case 'none':
      return () => ({ kind: 'none' });
    case 'iam':
      return () => ({ kind: 'iam', region });
    case 'jwt': {
      const token = env.E2E_JWT;
      if (!token) throw new StackOutputsError('E2E_AUTH=jwt needs E2E_JWT (a token of the stack\'s issuer and audience)');
      return () => ({ kind: 'azure', token });
    }
    case 'contracts': {
      const alibaba: AuthScheme = { kind: 'alibaba', accessKeyId: required(env, 'E2E_ACCESS_KEY_ID'), accessKeySecret: required(env, 'E2E_ACCESS_KEY_SECRET') };
      const azure: AuthScheme = { kind: 'azure', token: required(env, 'E2E_AZURE_TOKEN') };
      return (contract) => (contract === 'alibaba' ? alibaba : azure);
    }
    default:
      throw new StackOutputsError(`E2E_AUTH must be iam, jwt, contracts or none (got "${auth}")`);
  }
}

/** Which contract's caller a path speaks for: Azure's start with /subscriptions, the broker's own say so. */
const contractOf = (path: string, as?: Contract): Contract => as ?? (path.startsWith('/subscriptions/') ? 'azure' : 'alibaba');

export async function openTarget(run: string): Promise<Target> {
  const remote = process.env.E2E === '1' ? remoteApiUrl(process.env) : undefined;
  const ownTenants = { workspace: `ws_e2e_${run}`, subscription: `00000000-0000-0000-0000-${run.padStart(12, '0')}` };
  if (!remote) {
    const broker: TestBroker = await startTestBroker();
    return {
      baseUrl: broker.url,
      kind: 'in-process',
      eventTimeoutMs: 20_000,
      ...ownTenants,
      fetch: (path, { as: _as, ...init } = {}) => fetch(broker.url + path, init),
      track: () => undefined, // the broker's data directory is removed whole
      close: () => broker.dispose(),
    };
  }
  const baseUrl = remote.replace(/\/$/, '');
  const url = new URL(baseUrl);
  const region =
    process.env.AWS_REGION ?? regionOfApiHost(url.hostname) ?? (process.env.API_URL ? undefined : deployedOutputs(process.env)?.[OUTPUTS.region]) ?? 'us-east-1';
  const schemeFor = e2eAuth(process.env, region, url);
  const contracts = process.env.E2E_AUTH === 'contracts';
  const uploads: string[] = [];
  return {
    baseUrl,
    kind: 'remote',
    eventTimeoutMs: Number(process.env.E2E_EVENT_TIMEOUT_MS ?? 60_000),
    // Under auth=contracts the suite can only work where its credentials are granted.
    workspace: contracts ? required(process.env, 'E2E_WORKSPACE') : ownTenants.workspace,
    subscription: contracts ? required(process.env, 'E2E_SUBSCRIPTION') : ownTenants.subscription,
    async fetch(path, { as, ...init } = {}) {
      const target = new URL(baseUrl + path);
      const method = init.method ?? 'GET';
      const headers = await authenticate({ method, url: target, headers: { ...init.headers }, ...(init.body !== undefined ? { body: init.body } : {}) }, schemeFor(contractOf(path, as)));
      return fetch(target, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
    },
    track: (uploadUrl) => void uploads.push(uploadUrl),
    async close() {
      // Uploads expire with their retention anyway; with the bucket name known, remove them now.
      const bucket = process.env.E2E_BUCKET ?? (process.env.API_URL ? undefined : deployedOutputs(process.env)?.[OUTPUTS.bucketName]);
      if (!bucket || uploads.length === 0) return;
      const s3 = new S3Client({ region, requestChecksumCalculation: 'WHEN_REQUIRED' });
      await Promise.allSettled(uploads.map((u) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOfUrl(u, bucket) }))));
      s3.destroy();
    },
  };
}
