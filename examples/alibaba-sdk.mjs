// Alibaba's official SDK (@alicloud/bailian20231229), unchanged, against the broker: lease, PUT,
// AddFile at once, DescribeFile until the file is ready, DeleteFile. Run: node examples/alibaba-sdk.mjs [file]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import Bailian from '@alicloud/bailian20231229'; // CommonJS: the client class is Bailian.default
import { $OpenApiUtil } from '@alicloud/openapi-core';

const broker = new URL(process.env.BROKER_URL ?? 'http://127.0.0.1:3000');
const workspace = 'ws_demo';
// A file named on the command line, else a few bytes made here; the lease needs its MD5 and size.
const bytes = process.argv[2] ? readFileSync(process.argv[2]) : Buffer.from(`hello from the SDK example, ${new Date().toISOString()}\n`);
const fileName = process.argv[2] ? basename(process.argv[2]) : 'hello.txt';
const md5 = createHash('md5').update(bytes).digest('hex');

const client = new Bailian.default(
  new $OpenApiUtil.Config({
    // The local broker checks no credentials by default; one started with AUTH=contracts checks these.
    accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? 'local',
    accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? 'local',
    endpoint: broker.host,
    protocol: broker.protocol === 'https:' ? 'HTTPS' : 'HTTP',
  }),
);

try {
  const lease = await client.applyFileUploadLease('default', workspace, new Bailian.ApplyFileUploadLeaseRequest({ fileName, md5, sizeInBytes: String(bytes.length) }));
  const { fileUploadLeaseId: leaseId, param } = lease.body.data;
  console.log(`ApplyFileUploadLease: lease ${leaseId}, ${param.method} ${new URL(param.url).pathname}`);

  // Exactly the method, URL and headers the lease returned: the URL's signature covers them.
  const put = await fetch(param.url, { method: param.method, headers: param.headers, body: bytes });
  if (!put.ok) throw new Error(`the storage refused the PUT: ${put.status} ${await put.text()}`);
  console.log(`PUT: ${bytes.length} bytes of ${fileName}, MD5 ${md5}`);

  // No pause after the PUT: a client may call AddFile as soon as the PUT has answered.
  const added = await client.addFile(workspace, new Bailian.AddFileRequest({ leaseId, parser: 'DASHSCOPE_DOCMIND', categoryId: 'default' }));
  const { fileId } = added.body.data;
  console.log(`AddFile: ${fileId}`);

  // Like Alibaba's service, DescribeFile may say INIT before FILE_IS_READY: ask until it is ready.
  const deadline = Date.now() + 60_000;
  let status;
  for (;;) {
    const described = await client.describeFile(workspace, fileId, new Bailian.DescribeFileRequest({}));
    if (described.body.data.status !== status) console.log(`DescribeFile: ${(status = described.body.data.status)}`);
    if (status === 'FILE_IS_READY') break;
    if (Date.now() > deadline) throw new Error(`${fileId} is still ${status} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  await client.deleteFile(fileId, workspace, new Bailian.DeleteFileRequest({}));
  console.log(`DeleteFile: ${fileId} deleted`);
} catch (error) {
  // The SDK's errors carry Alibaba's code (InvalidLease.NotUploaded, ...) in the message.
  console.error(`alibaba-sdk: ${error.message}`);
  process.exitCode = 1;
}
