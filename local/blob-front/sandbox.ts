import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, Script } from 'node:vm';

/**
 * The Blob front's CloudFront Functions (infra/blob-front/*.js, the files CDK deploys) run in a
 * `node:vm` context shaped like the cloudfront-js-2.0 runtime: strict mode, no eval or Function
 * constructor, no require, process, timers or network, and only the two modules the functions import
 * (`cloudfront`'s KeyValueStore helper and `crypto`'s hash and HMAC). Anything else they reach for is a
 * ReferenceError here, as it would fail at the edge (so is Buffer, which the runtime has but the
 * functions do not need: add it here before using it there). The syntax the runtime accepts is checked apart
 * (test/unit/blob-front/runtime-limits.test.ts): V8 would run more than the edge does.
 */

// What this module runs (jest's related tests and Stryker follow these lines, test/support/dependency-extractor.cjs):
// @runs ../../infra/blob-front/viewer-request.js
// @runs ../../infra/blob-front/viewer-response.js
export const FRONT_FUNCTION_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'infra', 'blob-front');

export interface FrontHeaders {
  [name: string]: { value: string; multiValue?: Array<{ value: string }> };
}
export interface FrontRequest {
  method: string;
  uri: string;
  querystring: FrontHeaders;
  headers: FrontHeaders;
  cookies: FrontHeaders;
}
export interface FrontResponse {
  statusCode: number;
  statusDescription?: string;
  headers: FrontHeaders;
  cookies?: FrontHeaders;
  body?: string | { data: string; encoding: 'text' | 'base64' };
}
export interface FrontEvent {
  version: '1.0';
  context: { eventType: 'viewer-request' | 'viewer-response'; requestId?: string; distributionId?: string; distributionDomainName?: string };
  viewer: { ip: string };
  request: FrontRequest;
  response?: FrontResponse;
}

export interface FrontFunctions {
  /** The request to forward (possibly rewritten), or the response to send instead. */
  viewerRequest(event: FrontEvent): Promise<FrontRequest | FrontResponse>;
  viewerResponse(event: FrontEvent): Promise<FrontResponse>;
}

export const isFrontResponse = (result: FrontRequest | FrontResponse): result is FrontResponse => 'statusCode' in result;

type Digest = 'hex' | 'base64' | 'base64url';
const DIGESTS: readonly string[] = ['hex', 'base64', 'base64url'];
const ALGORITHMS: readonly string[] = ['md5', 'sha1', 'sha256'];

/** The runtime's crypto module: hash and HMAC over md5/sha1/sha256, digests as text only. */
function cryptoModule() {
  const wrap = (make: () => { update(data: string): unknown; digest(encoding: Digest): string }) => {
    const inner = make();
    const self = {
      update(data: unknown) {
        if (typeof data !== 'string') throw new TypeError('the sandbox hashes strings only');
        inner.update(data);
        return self;
      },
      digest(encoding: unknown) {
        // The runtime returns a Buffer without an encoding; the functions never need one.
        if (typeof encoding !== 'string' || !DIGESTS.includes(encoding)) throw new TypeError(`digest encoding must be one of ${DIGESTS.join(', ')}`);
        return inner.digest(encoding as Digest);
      },
    };
    return self;
  };
  const checked = (algorithm: unknown): string => {
    if (typeof algorithm !== 'string' || !ALGORITHMS.includes(algorithm)) throw new TypeError(`unsupported algorithm ${String(algorithm)}`);
    return algorithm;
  };
  return Object.freeze({
    createHash: (algorithm: unknown) => wrap(() => createHash(checked(algorithm))),
    createHmac: (algorithm: unknown, key: unknown) => {
      if (typeof key !== 'string') throw new TypeError('the sandbox takes HMAC keys as strings');
      return wrap(() => createHmac(checked(algorithm), Buffer.from(key, 'utf8')));
    },
  });
}

/** The `cloudfront` module's KeyValueStore helper over a fixed map; a missing key rejects, as at the edge. */
function cloudfrontModule(values: Readonly<Record<string, string>>) {
  const store = new Map(Object.entries(values));
  const handle = Object.freeze({
    async get(key: string, options?: { format?: 'string' | 'json' | 'bytes' }) {
      const value = store.get(key);
      if (value === undefined) throw new Error(`Key ${key} not found`);
      const format = options?.format ?? 'string';
      if (format === 'string') return value;
      if (format === 'json') return JSON.parse(value) as unknown;
      throw new TypeError(`the sandbox does not serve format ${format}`);
    },
    async exists(key: string) {
      return store.has(key);
    },
  });
  // The id argument (`cf.kvs(id)`) is ignored: one store per function, as associated in infra.
  return Object.freeze({ kvs: (_id?: string) => handle });
}

const IMPORT_LINE = /^import\s+([A-Za-z_$][\w$]*)\s+from\s+'([^']+)';?[ \t]*$/gm;

/** The source with its `import x from 'module'` lines bound to the sandbox's modules; any other import fails. */
export function bindImports(source: string, file: string): string {
  const bound = source.replace(IMPORT_LINE, (_line, name: string, module: string) => {
    if (module !== 'cloudfront' && module !== 'crypto') throw new Error(`${file} imports '${module}', which cloudfront-js-2.0 does not provide`);
    return `const ${name} = __modules[${JSON.stringify(module)}];`;
  });
  if (/^\s*(import|export)\b/m.test(bound)) throw new Error(`${file} has an import or export the sandbox cannot bind`);
  return bound;
}

type Handler = (event: FrontEvent) => Promise<unknown>;

function load(file: string, kvs: Readonly<Record<string, string>>): Handler {
  const source = bindImports(readFileSync(join(FRONT_FUNCTION_DIR, file), 'utf8'), file);
  const modules = Object.freeze({ cloudfront: cloudfrontModule(kvs), crypto: cryptoModule() });
  // console.log only, one argument: the runtime has no other console method and no comma syntax.
  const console = Object.freeze({ log: (message: unknown) => process.stdout.write(`[blob front ${file}] ${String(message)}\n`) });
  // `npm run test:mutation` instruments these files; their mutant switch is the host's __stryker__ (absent otherwise).
  const mutation = (globalThis as { __stryker__?: unknown }).__stryker__;
  const context = createContext({ __modules: modules, console, ...(mutation ? { __stryker__: mutation } : {}) }, { codeGeneration: { strings: false, wasm: false } });
  // Wrapped in a function so the file's top-level const/let stay private; it hands back `handler`.
  const script = new Script(`'use strict';(function () {\n${source}\nreturn handler;\n})()`, { filename: join(FRONT_FUNCTION_DIR, file) });
  const handler = script.runInContext(context) as unknown;
  if (typeof handler !== 'function') throw new Error(`${file} defines no handler function`);
  return handler as Handler;
}

/** What crosses the edge is data: results come back as plain JSON, as CloudFront serialises them. */
const plain = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;

/** The two functions as the edge would run them, with `kvs` as the KeyValueStore's contents. */
export function loadFrontFunctions(options: { kvs: Readonly<Record<string, string>> }): FrontFunctions {
  const request = load('viewer-request.js', options.kvs);
  const response = load('viewer-response.js', options.kvs);
  return {
    viewerRequest: async (event) => plain(await request(plain(event))),
    viewerResponse: async (event) => plain(await response(plain(event))),
  };
}
