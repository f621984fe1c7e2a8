import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Whether the module at `moduleUrl` is the one node was asked to run (`node --import tsx <file>`), not
 * one imported by a test. Compared as paths: a URL spells a space or a non-ASCII name percent-encoded,
 * so comparing `file://${argv[1]}` with import.meta.url silently runs nothing from such a checkout.
 */
export const isEntryPoint = (moduleUrl: string): boolean => process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
