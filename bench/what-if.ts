/**
 * Not part of `npm run bench`: quantifies changes outside bench/'s remit (shared/aws/clients.ts,
 * infra/bundling.ts) that the size and cold-init profiles point at, by bundling the Azure Lambda with
 * the CDK options plus an esbuild plugin that swaps one module, then timing cold imports side by side.
 *   node --import tsx bench/what-if.ts [processes=15]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_FILE, esbuildBuildOptions } from '../infra/bundling.js';
import { ROOT, type BuiltBundle } from './bundles.js';
import { benchColdInit } from './cold-init.js';
import { table } from './report.js';

const processes = Number(process.argv[2] ?? 15);
const clients = readFileSync(join(ROOT, 'shared/aws/clients.ts'), 'utf8');
/** API Lambdas only need S3 for the presigner's credentials; take them from the DynamoDB client instead. */
const withoutS3Client = clients
  .replace("import { S3Client } from '@aws-sdk/client-s3';", 'type S3Client = never;')
  .replace(/const s3 = new S3Client\(\{[\s\S]*?\n {2}\}\);/, 'const s3 = undefined as never;')
  .replace(/const ddb = DynamoDBDocumentClient\.from\(new DynamoDBClient\(([\s\S]*?)\), \{/, 'const ddbClient = new DynamoDBClient($1);\n  const ddb = DynamoDBDocumentClient.from(ddbClient, {')
  .replace('credentials: s3.config.credentials', 'credentials: ddbClient.config.credentials');
if (!withoutS3Client.includes('ddbClient.config.credentials') || withoutS3Client.includes('new S3Client')) {
  throw new Error('shared/aws/clients.ts changed shape; update the what-if rewrite');
}

const variants: { name: string; clients?: string; envCredentialsOnly?: boolean }[] = [
  { name: 'as built today' },
  { name: 'no S3Client in API Lambdas', clients: withoutS3Client },
  { name: 'env-only credential provider (bundling alias)', envCredentialsOnly: true },
  { name: 'both', clients: withoutS3Client, envCredentialsOnly: true },
];

const dir = mkdtempSync(join(tmpdir(), 'broker-what-if-'));
try {
  const bundles: BuiltBundle[] = [];
  for (const [i, v] of variants.entries()) {
    const plugin: Plugin = {
      name: 'what-if',
      setup(b) {
        if (v.envCredentialsOnly) b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: join(ROOT, 'bench/what-if/env-credentials.ts') }));
        if (v.clients) b.onLoad({ filter: /shared[\\/]aws[\\/]clients\.ts$/ }, () => ({ contents: v.clients, loader: 'ts', resolveDir: join(ROOT, 'shared/aws') }));
      },
    };
    const outfile = join(dir, String(i), BUNDLE_FILE);
    await build({ ...esbuildBuildOptions(join(ROOT, 'lambdas/azure-start-pending-upload/index.ts'), outfile), absWorkingDir: ROOT, plugins: [plugin] });
    const code = readFileSync(outfile);
    bundles.push({ name: v.name, kind: 'lambda', entry: '', file: outfile, rawBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, top: [], topPackages: [] });
  }
  const emptyFile = join(dir, 'empty', BUNDLE_FILE);
  mkdirSync(join(dir, 'empty'));
  writeFileSync(emptyFile, 'export {};\n');
  const bare: BuiltBundle = { name: 'bare', kind: 'bare', entry: '', file: emptyFile, rawBytes: 0, gzipBytes: 0, top: [], topPackages: [] };
  const cold = benchColdInit(bundles, bare, processes);
  console.log(
    table(
      `azure-start-pending-upload what-ifs (cold import median of ${processes}, bare Node ${cold.bareNodeMs} ms)`,
      ['variant', 'raw KB', 'gzip KB', 'cold ms', 'minus bare ms'],
      bundles.map((b) => [b.name, Number((b.rawBytes / 1000).toFixed(1)), Number((b.gzipBytes / 1000).toFixed(1)), cold.lambdas[b.name]!.medianMs, cold.lambdas[b.name]!.overBareMs]),
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
