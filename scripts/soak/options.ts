/**
 * `npm run soak -- --duration <seconds> --clients <n>`: what a soak run does, from its command line.
 * The full run (defaults: 5 minutes, 32 clients) writes reports/soak.json; the short one in npm test
 * (test/integration/soak.test.ts) passes its own options and a report path in a temporary directory.
 */
export interface SoakOptions {
  /** How long the clients run, in seconds (the audit comes after). */
  readonly durationSeconds: number;
  readonly clients: number;
  /** Where the JSON report goes; undefined: none written. */
  readonly reportFile: string | undefined;
  /** The broker's DATA_DIR; undefined: a fresh temporary one, removed afterwards when the audit is clean. */
  readonly dataDir: string | undefined;
  /** Kill -9 the broker once, mid-run, and start it again on the same DATA_DIR. */
  readonly restart: boolean;
  /** The broker's RETENTION_SECONDS: uploads left alone expire during the run. */
  readonly retentionSeconds: number;
  readonly sweepIntervalSeconds: number;
  /** LOCAL_FAULTS for the broker (local/faults.ts); '' for none. */
  readonly faults: string;
  /**
   * AZURE_UPLOADS for the broker. blob-front (the default here): Azure leases are containers written
   * through the Blob front, so multi-blob containers are in the mix; s3-presigned: one presigned PUT each.
   */
  readonly azureUploads: 'blob-front' | 's3-presigned';
  /** S3_EVENT_DELAY_MS for the broker: every S3 event held back this long. */
  readonly s3EventDelayMs: number;
  /** The audit fails when the broker's RSS grows more than this after warm-up (MB). */
  readonly rssGrowthLimitMb: number;
  /** Progress lines on stderr. */
  readonly verbose: boolean;
}

export const DEFAULT_FAULTS = 'ddb-throttle=0.05,ddb-delay=0.05,ddb-delay-ms=800,ddb-spike-every-ms=20000,ddb-spike-ms=3000,s3-duplicate=0.15,s3-late=0.15,s3-late-ms=2000';

export const DEFAULT_OPTIONS: SoakOptions = {
  durationSeconds: 300,
  clients: 32,
  reportFile: 'reports/soak.json',
  dataDir: undefined,
  restart: true,
  retentionSeconds: 20,
  sweepIntervalSeconds: 2,
  faults: DEFAULT_FAULTS,
  azureUploads: 'blob-front',
  s3EventDelayMs: 200,
  rssGrowthLimitMb: 200,
  verbose: true,
};

const USAGE = `usage: npm run soak -- [--duration <seconds>] [--clients <n>] [--report <file>|--no-report]
       [--data-dir <dir>] [--no-restart] [--no-faults] [--azure-uploads blob-front|s3-presigned]
       [--retention <seconds>] [--sweep-interval <seconds>] [--quiet]`;

export class UsageError extends Error {}

function positive(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n <= 0) throw new UsageError(`${name} needs a positive whole number, got ${raw ?? 'nothing'}\n${USAGE}`);
  return n;
}

export function parseOptions(argv: readonly string[]): SoakOptions {
  let options: { -readonly [K in keyof SoakOptions]: SoakOptions[K] } = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--duration':
        options.durationSeconds = positive(flag, value());
        break;
      case '--clients':
        options.clients = positive(flag, value());
        break;
      case '--retention':
        options.retentionSeconds = positive(flag, value());
        break;
      case '--sweep-interval':
        options.sweepIntervalSeconds = positive(flag, value());
        break;
      case '--report':
        options.reportFile = value();
        break;
      case '--no-report':
        options.reportFile = undefined;
        break;
      case '--data-dir':
        options.dataDir = value();
        break;
      case '--azure-uploads': {
        const mode = value();
        if (mode !== 'blob-front' && mode !== 's3-presigned') throw new UsageError(`--azure-uploads is blob-front or s3-presigned, got ${mode ?? 'nothing'}\n${USAGE}`);
        options.azureUploads = mode;
        break;
      }
      case '--no-restart':
        options.restart = false;
        break;
      case '--no-faults':
        options = { ...options, faults: '', s3EventDelayMs: 0 };
        break;
      case '--quiet':
        options.verbose = false;
        break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return options;
}
