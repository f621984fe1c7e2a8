// The Node.js Lambda runtime's part that matters here, in a child process whose environment is exactly
// the function's: resolve `_HANDLER` (file.export) under LAMBDA_TASK_ROOT as the managed runtime does,
// import it once (init), then take invocations over IPC, one at a time, with a context whose
// getRemainingTimeInMillis counts down to the deadline the parent enforces.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const send = (message) => new Promise((resolve) => process.send(message, resolve));

async function init() {
  const spec = process.env._HANDLER ?? '';
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) return { errorType: 'Runtime.MalformedHandlerName', errorMessage: `Bad handler ${spec}` };
  const [file, name] = [spec.slice(0, dot), spec.slice(dot + 1)];
  const root = process.env.LAMBDA_TASK_ROOT;
  const path = ['.mjs', '.js', '.cjs'].map((ext) => join(root, file + ext)).find((p) => existsSync(p));
  if (!path) return { errorType: 'Runtime.ImportModuleError', errorMessage: `Error: Cannot find module '${file}'` };
  let module;
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    return { errorType: error?.name ?? 'Error', errorMessage: `${error?.message ?? error}`, stack: error?.stack };
  }
  const handler = module[name];
  if (typeof handler !== 'function') return { errorType: 'Runtime.HandlerNotFound', errorMessage: `${file}.${name} is undefined or not exported` };
  return { handler };
}

const initialized = await init();
if (!initialized.handler) {
  await send({ type: 'init-error', ...initialized });
  process.exit(1);
}
await send({ type: 'ready' });

process.on('message', async ({ id, event, deadline, requestId }) => {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: 'template-run',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await initialized.handler(event, context);
    await send({ type: 'result', id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    await send({ type: 'result', id, ok: false, errorType: error?.name ?? 'Error', errorMessage: `${error?.message ?? error}`, stack: error?.stack });
  }
});
