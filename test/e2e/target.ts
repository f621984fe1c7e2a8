import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { OUTPUTS } from '../../infra/outputs.js';
import { DEFAULT_OUTPUTS_FILE, readStackOutputs, StackOutputsError } from '../../scripts/stack-outputs.js';
import { startTestBroker, type TestBroker } from '../support/local-broker.js';

/**
 * Where the end-to-end suite points. Under `npm run test:e2e` (E2E=1): API_URL, or the ApiUrl in
 * cdk-outputs.json written by `npm run deploy` (CDK_OUTPUTS_FILE elsewhere, E2E_STACK among several);
 * requests are SigV4-signed when E2E_AUTH=iam (the default for execute-api hosts), with the default
 * credential chain (AWS_PROFILE honoured). Under `npm test`: a local mode started in-process.
 */
export interface Target {
  readonly baseUrl: string;
  readonly kind: 'in-process' | 'remote';
  /** How long to wait for an upload event to be processed. */
  readonly eventTimeoutMs: number;
  fetch(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response>;
  /** Remembers an uploaded object so close() can remove it from a shared (remote) bucket. */
  track(uploadUrl: string): void;
  close(): Promise<void>;
}

/** The deployed stack's outputs (whatever its name), or undefined when there is no outputs file. */
function deployedOutputs(env: NodeJS.ProcessEnv, cwd?: string) {
  return readStackOutputs({ file: env.CDK_OUTPUTS_FILE, stack: env.E2E_STACK, require: OUTPUTS.apiUrl, ...(cwd ? { cwd } : {}) })?.outputs;
}

/**
 * Where `npm run test:e2e` goes: API_URL, else the ApiUrl of the outputs file. Without either it is an
 * error naming what to set: a suite that quietly tested an in-process broker instead would tell someone
 * whose deploy failed that it works.
 */
export function remoteApiUrl(env: NodeJS.ProcessEnv, cwd?: string): string {
  if (env.API_URL) return env.API_URL;
  const url = deployedOutputs(env, cwd)?.[OUTPUTS.apiUrl];
  if (url) return url;
  throw new StackOutputsError(
    `npm run test:e2e needs a deployed target: set API_URL=<the stack's ApiUrl>, or run it where npm run deploy wrote ${DEFAULT_OUTPUTS_FILE} (or point CDK_OUTPUTS_FILE at that file)`,
  );
}

/** The object key of a presigned URL, virtual-hosted or path-style. */
function keyOfUrl(url: string, bucket: string): string {
  const path = decodeURIComponent(new URL(url).pathname.slice(1));
  return path.startsWith(`${bucket}/`) ? path.slice(bucket.length + 1) : path;
}

function signer(region: string) {
  return new SignatureV4({ service: 'execute-api', region, credentials: defaultProvider(), sha256: Sha256 });
}

export async function openTarget(): Promise<Target> {
  const remote = process.env.E2E === '1' ? remoteApiUrl(process.env) : undefined;
  if (!remote) {
    const broker: TestBroker = await startTestBroker();
    return {
      baseUrl: broker.url,
      kind: 'in-process',
      eventTimeoutMs: 20_000,
      fetch: (path, init = {}) => fetch(broker.url + path, init),
      track: () => undefined, // the broker's data directory is removed whole
      close: () => broker.dispose(),
    };
  }
  const baseUrl = remote.replace(/\/$/, '');
  const url = new URL(baseUrl);
  const auth = process.env.E2E_AUTH ?? (url.hostname.includes('.execute-api.') ? 'iam' : 'none');
  const region =
    process.env.AWS_REGION ?? /\.execute-api\.([a-z0-9-]+)\./.exec(url.hostname)?.[1] ?? (process.env.API_URL ? undefined : deployedOutputs(process.env)?.[OUTPUTS.region]) ?? 'us-east-1';
  const sigv4 = auth === 'iam' ? signer(region) : undefined;
  const token = process.env.E2E_JWT;
  const uploads: string[] = [];
  return {
    baseUrl,
    kind: 'remote',
    eventTimeoutMs: Number(process.env.E2E_EVENT_TIMEOUT_MS ?? 60_000),
    async fetch(path, init = {}) {
      const target = new URL(baseUrl + path);
      const headers: Record<string, string> = { ...init.headers, host: target.host };
      if (auth === 'jwt' && token) headers.authorization = `Bearer ${token}`;
      if (sigv4) {
        const signed = await sigv4.sign({
          method: init.method ?? 'GET',
          protocol: target.protocol,
          hostname: target.hostname,
          path: target.pathname,
          query: Object.fromEntries(target.searchParams),
          headers,
          ...(init.body !== undefined ? { body: init.body } : {}),
        });
        Object.assign(headers, signed.headers);
      }
      delete headers.host;
      return fetch(target, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: init.body } : {}) });
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
