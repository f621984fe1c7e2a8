import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '../../shared/config.js';
import { faultSettings, inDdbSpike } from '../../local/faults.js';
import { DEFAULT_FAULTS, DEFAULT_OPTIONS, parseOptions, UsageError } from '../../scripts/soak/options.js';
import { eventStepAllowed } from '../../scripts/soak/audit.js';

/** The soak's own settings: its command line, LOCAL_FAULTS, and the audit's table of allowed moves. */
describe('npm run soak options', () => {
  test('defaults: 5 minutes, 32 clients, the Blob front on (multi-blob containers in the mix), every fault', () => {
    expect(parseOptions([])).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS).toMatchObject({ durationSeconds: 300, clients: 32, azureUploads: 'blob-front', restart: true, faults: DEFAULT_FAULTS });
  });

  test('--duration, --clients, --azure-uploads, --no-faults', () => {
    expect(parseOptions(['--duration', '60', '--clients=8', '--azure-uploads', 's3-presigned', '--no-faults'])).toMatchObject({
      durationSeconds: 60,
      clients: 8,
      azureUploads: 's3-presigned',
      faults: '',
      s3EventDelayMs: 0,
    });
  });

  test.each([
    [['--duration', '0'], /--duration needs a positive whole number, got 0/],
    [['--clients', '2.5'], /--clients needs a positive whole number/],
    [['--azure-uploads', 'azurite'], /--azure-uploads is blob-front or s3-presigned, got azurite/],
    [['--azure-uploads'], /--azure-uploads is blob-front or s3-presigned, got nothing/],
    [['--what'], /unknown option --what/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});

describe('LOCAL_FAULTS', () => {
  test('unset or blank: no faults at all', () => {
    expect(faultSettings({})).toBeUndefined();
    expect(faultSettings({ LOCAL_FAULTS: '  ' })).toBeUndefined();
  });

  test('the soak default parses, spikes included', () => {
    expect(faultSettings({ LOCAL_FAULTS: DEFAULT_FAULTS })).toEqual({
      ddbThrottle: 0.05,
      ddbDelay: 0.05,
      ddbDelayMs: 800,
      ddbSpikeEveryMs: 20_000,
      ddbSpikeMs: 3_000,
      s3Duplicate: 0.15,
      s3Late: 0.15,
      s3LateMs: 2_000,
    });
  });

  test.each([
    ['ddb-throttle=1.5', /"ddb-throttle=1.5" is not one of/],
    ['ddb-delay=-0.1', /"ddb-delay=-0.1"/],
    ['s3-late', /"s3-late"/],
    ['cpu-burn=1', /"cpu-burn=1"/],
    ['ddb-spike-every-ms=2000,ddb-spike-ms=2000', /ddb-spike-ms \(2000\) must be shorter than ddb-spike-every-ms \(2000\)/],
  ])('%s is a configuration error in one line', (raw, message) => {
    expect(() => faultSettings({ LOCAL_FAULTS: raw })).toThrow(ConfigError);
    expect(() => faultSettings({ LOCAL_FAULTS: raw })).toThrow(message);
  });

  test('a spike is the last ddb-spike-ms of every period, from the start; none when ddb-spike-every-ms is 0', () => {
    const spikes = { ddbSpikeEveryMs: 20_000, ddbSpikeMs: 3_000 };
    expect([0, 16_999, 17_000, 19_999, 20_000, 36_999, 37_000, 59_999].map((t) => inDdbSpike(spikes, t))).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
      true,
      true,
    ]);
    expect(inDdbSpike({ ddbSpikeEveryMs: 0, ddbSpikeMs: 3_000 }, 19_000)).toBe(false);
  });
});

describe("the audit's allowed moves", () => {
  test('one transition, or a revival (no event) and one more', () => {
    expect(eventStepAllowed('PENDING', 'UPLOADED')).toBe(true);
    expect(eventStepAllowed('UPLOADED', 'CONSUMED')).toBe(true);
    expect(eventStepAllowed('REJECTED', 'UPLOADED')).toBe(true);
    expect(eventStepAllowed('EXPIRED', 'REJECTED')).toBe(true);
    expect(eventStepAllowed('PENDING', 'CONSUMED')).toBe(false);
    expect(eventStepAllowed('CONSUMED', 'UPLOADED')).toBe(false);
    expect(eventStepAllowed('DELETED', 'PENDING')).toBe(false);
    expect(eventStepAllowed('UPLOADED', 'PENDING')).toBe(false);
  });
});
