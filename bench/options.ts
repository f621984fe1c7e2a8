/**
 * What `npm run bench` was asked to do: flags or their environment variables, read once. An unknown
 * section is refused here, before anything runs or the results file is overwritten.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Where the results go unless --out/BENCH_RESULTS says otherwise (git-ignored). */
export const DEFAULT_RESULTS_PATH = join(HERE, 'results.json');
/** The README whose performance table a full run rewrites (bench/readme-figures.ts). */
export const README_PATH = join(HERE, '..', 'README.md');

/** The bench's sections in the order they run, as --only names them. */
export const SECTIONS = ['presign', 'handler', 'cold', 'size', 'memory', 'sweep', 'cost'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** Tiny iteration counts: a smoke test whose figures mean nothing (and whose targets are not judged). */
  readonly quick: boolean;
  readonly outPath: string;
  readonly only: ReadonlySet<Section>;
}

/** The options, or why they are refused (the caller exits with status 2). */
export function parseOptions(args: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | { readonly refused: string } {
  const flag = (name: string) => args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const flagValue = (name: string) => flag(name)?.split('=').slice(1).join('=') || undefined;
  const requested = (flagValue('only') ?? SECTIONS.join(',')).split(',');
  // An unknown section would run nothing and still overwrite the results file.
  const unknown = [...new Set(requested)].filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length) return { refused: `--only: unknown section(s) ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}` };
  return {
    quick: flag('quick') !== undefined || env.BENCH_QUICK === '1',
    outPath: resolve(flagValue('out') ?? env.BENCH_RESULTS ?? DEFAULT_RESULTS_PATH),
    only: new Set(requested as Section[]),
  };
}

/** Every section ran and the results went to the default file: the run the README may quote. */
export const isFullRun = (options: BenchOptions): boolean =>
  !options.quick && options.outPath === DEFAULT_RESULTS_PATH && SECTIONS.every((s) => options.only.has(s));
