/**
 * The Blob front's two CloudFront Functions, deployed from the very files the local mode runs
 * (infra/blob-front/*.js), on the cloudfront-js-2.0 runtime with the front's KeyValueStore associated.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Function as CloudFrontFunction, FunctionCode, FunctionEventType, FunctionRuntime, type IKeyValueStore } from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';
import { REPO_ROOT } from './broker-function.js';

export const FRONT_FUNCTION_DIR = join(REPO_ROOT, 'infra', 'blob-front');

/**
 * `cf.kvs()` finds the associated store without its id; a source that names it (`cf.kvs(id)`) writes
 * this token instead, and gets the store's id at synth.
 */
export const KVS_ID_PLACEHOLDER = 'KVS_ID_PLACEHOLDER';

export const FRONT_FUNCTIONS = Object.freeze({
  [FunctionEventType.VIEWER_REQUEST]: { id: 'ViewerRequest', file: 'viewer-request.js', comment: 'Blob front: verifies the container SAS, maps Blob calls onto S3' },
  [FunctionEventType.VIEWER_RESPONSE]: { id: 'ViewerResponse', file: 'viewer-response.js', comment: 'Blob front: answers in Azure Blob terms (201, x-ms-* headers)' },
});

export type FrontEventType = keyof typeof FRONT_FUNCTIONS;

/** A function source with the store id in place of every placeholder (none: unchanged). */
export const withStoreId = (source: string, kvsId: string): string => source.replaceAll(KVS_ID_PLACEHOLDER, kvsId);

/** The function source as deployed, from the file the local mode runs too. */
export function frontFunctionSource(file: string, kvsId: string): string {
  return withStoreId(readFileSync(join(FRONT_FUNCTION_DIR, file), 'utf8'), kvsId);
}

export function frontFunction(scope: Construct, eventType: FrontEventType, kvs: IKeyValueStore): CloudFrontFunction {
  const { id, file, comment } = FRONT_FUNCTIONS[eventType];
  return new CloudFrontFunction(scope, id, {
    code: FunctionCode.fromInline(frontFunctionSource(file, kvs.keyValueStoreId)),
    runtime: FunctionRuntime.JS_2_0,
    keyValueStore: kvs,
    comment,
    autoPublish: true,
  });
}
