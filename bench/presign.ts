/**
 * Presign section: µs per presigned PUT URL, our presigner vs getSignedUrl(new S3Client(...), new
 * PutObjectCommand(...)) done the usual way (client once, command per call). Same inputs, run in
 * alternating rounds, and an identity check: for the same clock and credentials both must produce
 * byte-identical URLs (so no speed can come from signing less).
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@smithy/types';
import { Bench } from 'tinybench';
import { md5HexToBase64 } from '../shared/md5.js';
import { createPresigner } from '../shared/adapters/presign.js';
import { type PutUrlSpec } from '../shared/lease/ports.js';
import { BUCKET, CREDENTIALS, REGION, type IssuingSurface } from './fixtures.js';
import { sdkPresign } from './sdk-presign.js';
import { median, round } from './stats.js';

/** Alibaba leases declare type, MD5 and length (all signed); Azure leases declare nothing. */
export function specFor(kind: IssuingSurface, key: string, expiresInSeconds = 600): PutUrlSpec {
  return kind === 'alibaba'
    ? { key, expiresInSeconds, contentType: 'application/pdf', contentMd5: md5HexToBase64('19657c391f6c70bcea63c154d8606bb3'), contentLength: 1_048_576 }
    : { key, expiresInSeconds };
}

export function sdkClient(credentials: AwsCredentialIdentity = CREDENTIALS, region = REGION): S3Client {
  return new S3Client({ region, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
}


const leaseKey = (i: number, name: string) => `tmp/${(0x1e6a1591 + i).toString(16).padStart(8, '0')}07384782be5e45ac4759b247.1719325231035/${name}`;

export interface IdentityResult {
  /** The issuing surface, `+session` with session credentials. */
  readonly case: string;
  readonly identical: boolean;
  readonly checked: number;
  readonly ours: string;
  readonly getSignedUrl: string;
}

/** Byte-identity over several clocks, keys (incl. characters that need escaping) and credential kinds. */
export async function checkIdentity(): Promise<IdentityResult[]> {
  const clocks = [Date.UTC(2025, 0, 2, 3, 4, 5, 678), Date.UTC(2025, 0, 2, 23, 59, 59, 999), Date.UTC(2031, 11, 31, 0, 0, 0)];
  const names = ['report.pdf', 'name with spaces+plus.docx', "it's (1)!*~.txt", '报告 最终版.md'];
  const credentialSets: { label: string; credentials: AwsCredentialIdentity }[] = [
    { label: 'static', credentials: CREDENTIALS },
    { label: 'session', credentials: { ...CREDENTIALS, sessionToken: 'IQoJb3JpZ2luX2VjEBench//token+with/slashes==' } },
  ];
  const results: IdentityResult[] = [];
  for (const kind of ['alibaba', 'azure'] as const) {
    for (const { label, credentials } of credentialSets) {
      const ours = createPresigner({ region: REGION, bucket: BUCKET, credentials });
      const s3 = sdkClient(credentials);
      let identical = true;
      let checked = 0;
      let first: [string, string] | undefined;
      let mismatch: [string, string] | undefined;
      for (const now of clocks) {
        for (const [i, name] of names.entries()) {
          for (const ttl of [1, 600, 604_800]) {
            const spec = specFor(kind, leaseKey(i, name), ttl);
            const a = await ours.presignPut(spec, now);
            const b = await sdkPresign(s3, BUCKET, spec, now);
            first ??= [a, b];
            checked++;
            if (a !== b) {
              identical = false;
              mismatch ??= [a, b];
            }
          }
        }
      }
      s3.destroy();
      const [a, b] = mismatch ?? first!;
      results.push({ case: label === 'static' ? kind : `${kind}+${label}`, identical, checked, ours: a, getSignedUrl: b });
    }
  }
  return results;
}

export interface PresignTiming {
  readonly usPerUrl: number;
  readonly rounds: number[];
}

export interface PresignCaseResult {
  readonly ours: PresignTiming;
  readonly getSignedUrl: PresignTiming;
  /** getSignedUrl / ours, medians of the same run. */
  readonly speedup: number;
}

export interface PresignResult {
  readonly identity: IdentityResult[];
  readonly identical: boolean;
  readonly batch: number;
  readonly roundsRun: number;
  readonly cases: Record<IssuingSurface, PresignCaseResult>;
}

/**
 * Each tinybench task call presigns a batch of URLs (timer overhead is then negligible). Every round
 * runs all four tasks, and the order flips each round (A B B A ...), so drift hits both sides alike.
 */
export async function benchPresign(options: { rounds: number; timeMs: number; batch: number }): Promise<PresignResult> {
  const identity = await checkIdentity();
  const ours = createPresigner({ region: REGION, bucket: BUCKET, credentials: CREDENTIALS });
  const s3 = sdkClient();
  const start = Date.UTC(2025, 5, 1, 12, 0, 0);
  const specs = {
    alibaba: Array.from({ length: 64 }, (_, i) => specFor('alibaba', leaseKey(i, 'quarterly-report.pdf'))),
    azure: Array.from({ length: 64 }, (_, i) => specFor('azure', leaseKey(i, 'train-code-7'))),
  };
  let tick = 0;
  const makeTask = (kind: IssuingSurface, sdk: boolean) => async () => {
    const list = specs[kind];
    for (let i = 0; i < options.batch; i++) {
      const spec = list[tick++ & 63]!;
      const now = start + tick * 7;
      if (sdk) await sdkPresign(s3, BUCKET, spec, now);
      else await ours.presignPut(spec, now);
    }
  };
  const rounds: Record<string, number[]> = {};
  const tasks: [string, () => Promise<void>][] = [
    ['ours:alibaba', makeTask('alibaba', false)],
    ['sdk:alibaba', makeTask('alibaba', true)],
    ['ours:azure', makeTask('azure', false)],
    ['sdk:azure', makeTask('azure', true)],
  ];
  for (let r = 0; r < options.rounds; r++) {
    const bench = new Bench({ time: options.timeMs, warmupTime: Math.min(100, options.timeMs), timestampProvider: 'hrtimeNow', throws: true });
    for (const [name, fn] of r % 2 ? [...tasks].reverse() : tasks) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`presign task ${task.name} ${result.state}`);
      (rounds[task.name] ??= []).push((result.latency.mean * 1000) / options.batch);
    }
  }
  s3.destroy();
  const timing = (name: string): PresignTiming => ({ usPerUrl: round(median(rounds[name]!)), rounds: rounds[name]!.map((v) => round(v)) });
  const caseResult = (kind: IssuingSurface): PresignCaseResult => {
    const a = timing(`ours:${kind}`);
    const b = timing(`sdk:${kind}`);
    return { ours: a, getSignedUrl: b, speedup: round(b.usPerUrl / a.usPerUrl, 2) };
  };
  return {
    identity,
    identical: identity.every((r) => r.identical),
    batch: options.batch,
    roundsRun: options.rounds,
    cases: { alibaba: caseResult('alibaba'), azure: caseResult('azure') },
  };
}
