import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { bindImports, FRONT_FUNCTION_DIR } from '../../../local/blob-front/sandbox.js';
import { runtimeViolations } from './runtime-rules.js';

/**
 * The Blob front's function files against CloudFront Functions' limits: the 10 KB code size (CloudFront
 * quotas: "Maximum size of a function", 10 KB) and the cloudfront-js-2.0 feature list (runtime-rules.ts,
 * which cites the documentation section by section).
 */
const FILES = ['viewer-request.js', 'viewer-response.js'];
const MAX_FUNCTION_BYTES = 10_240;

describe.each(FILES)('%s', (file) => {
  const path = join(FRONT_FUNCTION_DIR, file);
  const source = readFileSync(path, 'utf8');

  test('is at most 10 KB', () => {
    expect(statSync(path).size).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
  });

  test('uses only what the cloudfront-js-2.0 runtime documents', () => {
    expect(runtimeViolations(source)).toEqual([]);
  });

  test("imports only 'cloudfront' and 'crypto', as default imports", () => {
    const imports = [...source.matchAll(/^import\s+(\w+)\s+from\s+'([^']+)';?$/gm)].map((m) => m[2]);
    expect(imports.every((m) => m === 'cloudfront' || m === 'crypto')).toBe(true);
    expect(() => bindImports(source, file)).not.toThrow();
  });

  test('the sandbox would refuse any other import', () => {
    expect(() => bindImports(`import fs from 'fs';\n${source}`, file)).toThrow(/'fs'/);
  });
});

describe('the checker refuses what the runtime does not support', () => {
  const fits = "import crypto from 'crypto';\nasync function handler(event) {\n  const h = crypto.createHash('sha256').update('x').digest('hex');\n  return event.request;\n}\n";

  test('a source that fits has no violation (so the refusals below are about their one change)', () => {
    expect(runtimeViolations(fits)).toEqual([]);
  });

  test.each([
    ['a class', 'class A {}\nasync function handler(event) { return event.request; }', 'classes'],
    ['a generator', 'function* g() { yield 1; }\nasync function handler(event) { return event.request; }', 'generators'],
    ['for...of', 'async function handler(event) { for (const k of [1]) {} return event.request; }', 'for...of'],
    ['destructuring', 'async function handler(event) { const { request } = event; return request; }', 'destructuring'],
    ['a default parameter', 'function f(a = 1) { return a; }\nasync function handler(event) { return event.request; }', 'default parameters'],
    ['spread', 'async function handler(event) { return Object.assign({}, ...[event.request]); }', 'spread'],
    ['a shorthand property', 'async function handler(event) { const request = event.request; return { request }.request; }', 'shorthand'],
    ['optional chaining', 'async function handler(event) { return event?.request; }', 'optional chaining'],
    ['nullish coalescing', 'async function handler(event) { return event.request ?? null; }', '??'],
    ['an async arrow function', 'const f = async () => 1;\nasync function handler(event) { return event.request; }', 'async closures'],
    ['a nested async function', 'async function handler(event) { async function inner() { return 1; } await inner(); return event.request; }', 'async closures'],
    ['optional catch binding', 'async function handler(event) { try { JSON.parse("x"); } catch { } return event.request; }', 'catch clause'],
    ['the s flag', 'async function handler(event) { return /a.b/s.test(event.request.uri) ? event.request : event.request; }', 'flags'],
    ['require', "const qs = require('querystring');\nasync function handler(event) { return event.request; }", 'require'],
    ['setTimeout', 'async function handler(event) { setTimeout(function () {}, 1); return event.request; }', 'setTimeout'],
    ['eval', 'async function handler(event) { return eval("event.request"); }', 'eval'],
    ['new Function', 'async function handler(event) { return new Function("return 1")(); }', 'Function'],
    ['process', 'async function handler(event) { return process.env; }', 'process'],
    ['Array.from', 'async function handler(event) { return Array.from([event.request])[0]; }', 'Array.from'],
    ['console.error', 'async function handler(event) { console.error("x"); return event.request; }', 'console.error'],
    ['console.log with two arguments', 'async function handler(event) { console.log("a", "b"); return event.request; }', 'one argument'],
    ['another module', "import fs from 'fs';\nasync function handler(event) { return event.request; }", "'fs'"],
    ['a named import', "import { createHmac } from 'crypto';\nasync function handler(event) { return event.request; }", 'default import'],
    ['an export', 'export async function handler(event) { return event.request; }', 'exports'],
    ['no handler', 'async function main(event) { return event.request; }', 'no top-level function handler'],
    ['ES 2021 syntax', 'async function handler(event) { let a = 1; a ||= 2; return event.request; }', 'does not parse'],
  ])('%s', (_name, source, reason) => {
    expect(runtimeViolations(source).map((v) => v.message).join('\n')).toContain(reason);
  });

  test('a violation names its line', () => {
    expect(runtimeViolations('async function handler(event) {\n  return event?.request;\n}')).toEqual([{ line: 2, message: "optional chaining: not in the runtime's feature list" }]);
  });
});
