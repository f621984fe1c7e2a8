import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ConfigError } from '../shared/config.js';

/**
 * The commands' arguments, read strictly (node:util parseArgs: an unknown option or a missing value is
 * refused), positionals allowed. A refusal is one line ending with where the usage is (`help`), as a
 * ConfigError each command prints as its other configuration errors: one line, exit code 2.
 */
export function parseCommandLine<O extends ParseArgsOptionsConfig>(argv: readonly string[], options: O, help: string) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, options });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} ${help}`, { cause: error });
  }
}
