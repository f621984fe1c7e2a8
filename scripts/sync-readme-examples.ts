/**
 * The README shows every file of examples/ verbatim, so what a reader copies is what the tests run.
 * Each shown file sits between markers:
 *
 *   <!-- example: examples/alibaba-sdk.mjs -->
 *   ```js
 *   ...the file, copied by this script...
 *   ```
 *   <!-- /example -->
 *
 * `npm run docs:examples` rewrites every such block from its file; `npm run docs:examples -- --check`
 * only reports blocks that differ (exit 1). test/integration/readme-examples.test.ts checks the same.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEntryPoint } from './entry-point.js';

export const EXAMPLES_DIR = 'examples';

// The opening marker, the fenced body (absent in a block not yet filled in) and the closing marker. The
// body may not hold another opening marker, so an unclosed block cannot swallow the next one.
const BLOCK = /<!-- example: (\S+) -->\n(?:```[^\n]*\n((?:(?!<!-- example:)[\s\S])*?)```\n)?<!-- \/example -->/g;
const OPENING = /<!-- example: (\S+) -->/g;

export interface ShownExample {
  /** Relative to the repository root, as written in the marker. */
  readonly path: string;
  /** The whole block as the README has it, markers included: compare it with renderBlock's. */
  readonly block: string;
}

/** Every marked block of the README; throws when an opening marker has no well-formed block after it. */
export function shownExamples(readme: string): ShownExample[] {
  const blocks = [...readme.matchAll(BLOCK)].map((m) => ({ path: m[1]!, block: m[0] }));
  const openings = [...readme.matchAll(OPENING)].map((m) => m[1]!);
  const broken = openings.filter((path, i) => blocks[i]?.path !== path);
  if (broken.length > 0) throw new Error(`README: the example block of ${broken[0]} is not a fenced block closed by <!-- /example -->`);
  return blocks;
}

/** The fence's language, so the README highlights the code. */
export function fenceLanguage(path: string): string {
  if (/\.(sh|bash)$/.test(path)) return 'sh';
  if (/\.(mjs|cjs|js)$/.test(path)) return 'js';
  throw new Error(`${path}: no fence language for this kind of file`);
}

/** The block as it must read: the file's text, ending in exactly one newline, in its fence. */
export function renderBlock(path: string, text: string): string {
  if (text.includes('```')) throw new Error(`${path} contains a code fence (\`\`\`), which would end its README block early`);
  return `<!-- example: ${path} -->\n\`\`\`${fenceLanguage(path)}\n${text.replace(/\n*$/, '\n')}\`\`\`\n<!-- /example -->`;
}

/** The README with every marked block rewritten from its file (read through `read`, relative paths). */
export function syncReadme(readme: string, read: (path: string) => string): string {
  shownExamples(readme); // fails on a broken marker before anything is rewritten
  return readme.replace(BLOCK, (_block, path: string) => renderBlock(path, read(path)));
}

/** The files of examples/, as the markers name them. */
export function exampleFiles(root: string): string[] {
  return readdirSync(join(root, EXAMPLES_DIR), { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => `${EXAMPLES_DIR}/${entry.name}`)
    .sort();
}

if (isEntryPoint(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  const shown = shownExamples(readme);
  const unshown = exampleFiles(root).filter((path) => !shown.some((e) => e.path === path));
  for (const path of unshown) process.stderr.write(`README.md shows no block of ${path}: add <!-- example: ${path} --> and <!-- /example --> where it belongs\n`);
  const stale = shown.filter((e) => e.block !== renderBlock(e.path, read(e.path)));
  if (process.argv.includes('--check')) {
    for (const e of stale) process.stderr.write(`README.md: the block of ${e.path} differs from the file (npm run docs:examples rewrites it)\n`);
  } else if (stale.length > 0) {
    writeFileSync(readmePath, syncReadme(readme, read));
    process.stdout.write(`README.md: rewrote ${stale.map((e) => e.path).join(', ')} from the files\n`);
  } else {
    process.stdout.write(`README.md: all ${shown.length} example blocks match their files\n`);
  }
  process.exitCode = unshown.length > 0 || (stale.length > 0 && process.argv.includes('--check')) ? 1 : 0;
}
