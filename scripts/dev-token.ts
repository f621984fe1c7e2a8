/**
 * `npm run dev-token -- --principal <oid>`: an Azure bearer token from the local mode's development
 * issuer (a broker started with AUTH=contracts JWT_ISSUER=dev), printed alone on stdout so it can be
 * captured: `export AZURE_ACCESS_TOKEN=$(npm run --silent dev-token -- --principal dev-user)`.
 * The principal needs a grant (`npm run access-keys -- grant --local --principal <oid> ...`).
 */
import { ConfigError } from '../shared/config.js';
import { devIssuerFileIn, localDataDir } from '../local/data-files.js';
import { mintDevToken } from '../local/dev-issuer/token.js';
import { parseCommandLine } from './command-line.js';
import { isEntryPoint } from './entry-point.js';

export const USAGE = `usage: npm run dev-token -- --principal <oid> [--audience <aud>] [--lifetime <seconds|Nm|Nh>]
  --principal <oid>    the token's oid and sub: the principal a grant names (access-keys grant --local)
  --audience <aud>     default: the JWT_AUDIENCE the broker started with (https://management.azure.com/)
  --lifetime <time>    default 1h; at most 24h
The issuer is the one a broker started with AUTH=contracts JWT_ISSUER=dev keeps in $DATA_DIR (default .data).`;

/** `3600`, `90s`, `10m`, `2h` → seconds; anything else is a usage error. */
export function lifetimeSeconds(text: string): number {
  const match = /^(\d+)([smh]?)$/.exec(text.trim());
  if (!match) throw new ConfigError(`--lifetime must be seconds or a number with s, m or h (e.g. 10m), got "${text}"`);
  return Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600 }[match[2] as '' | 's' | 'm' | 'h'];
}

export async function run(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, now: number): Promise<string> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      principal: { type: 'string' },
      audience: { type: 'string' },
      lifetime: { type: 'string', default: '1h' },
      help: { type: 'boolean', short: 'h' },
    },
    '(--help lists the options)',
  );
  if (positionals.length) throw new ConfigError(`unexpected argument "${positionals[0]}" (--help lists the options)`);
  if (values.help) return USAGE;
  if (!values.principal) throw new ConfigError('--principal <oid> is required: the principal a grant names (--help lists the options)');
  return mintDevToken({
    file: devIssuerFileIn(localDataDir(env)),
    principal: values.principal,
    ...(values.audience ? { audience: values.audience } : {}),
    lifetimeSeconds: lifetimeSeconds(values.lifetime!),
    now,
  });
}

if (isEntryPoint(import.meta.url)) {
  run(process.argv.slice(2), process.env, Math.floor(Date.now() / 1000)).then(
    (text) => console.log(text),
    (error: unknown) => {
      // A usage or setup problem is one line, last (DEBUG prints the trace before it); anything else is a bug: its trace.
      const expected = error instanceof ConfigError;
      if (!expected || process.env.DEBUG) console.error(error);
      if (expected) console.error(`dev-token: ${error.message}`);
      process.exit(expected ? 2 : 1);
    },
  );
}
