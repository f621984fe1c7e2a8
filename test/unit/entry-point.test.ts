import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, test } from '@jest/globals';
import { isEntryPoint } from '../../scripts/entry-point.js';

/** The scripts run their command only when node was asked to run them, whatever the checkout's path. */
describe('isEntryPoint', () => {
  const argv1 = process.argv[1];
  afterEach(() => {
    process.argv[1] = argv1!;
  });

  test.each(['/home/me/upload lease broker/scripts/dev-token.ts', '/srv/çode/scripts/access-keys.ts', '/plain/scripts/ulb.ts'])('%s: its own URL is the entry point', (path) => {
    process.argv[1] = path;
    expect(isEntryPoint(pathToFileURL(path).href)).toBe(true);
  });

  test('another module, a relative argv[1] and no argv[1] at all', () => {
    process.argv[1] = '/x/scripts/access-keys.ts';
    expect(isEntryPoint(pathToFileURL('/x/scripts/credential-stores.ts').href)).toBe(false);
    process.argv[1] = 'scripts/access-keys.ts';
    expect(isEntryPoint(pathToFileURL(`${process.cwd()}/scripts/access-keys.ts`).href)).toBe(true);
    process.argv.length = 1;
    expect(isEntryPoint(pathToFileURL('/x/scripts/access-keys.ts').href)).toBe(false);
  });
});
