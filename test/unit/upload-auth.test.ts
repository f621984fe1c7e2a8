import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { authenticate, regionOfApiHost } from '../../scripts/upload/auth.js';

/** The SigV4 signing that ulb, npm run sign-request and the e2e suite share. */
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  // Only the clock is fixed, so both signatures carry the same X-Amz-Date.
  jest.useFakeTimers({ now: Date.parse('2026-11-30T12:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
});
afterAll(() => {
  jest.useRealTimers();
  for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('iam', () => {
  test('a repeated query parameter is signed with all its values, as the SDK signs it', async () => {
    const url = new URL('https://abc.execute-api.eu-west-1.amazonaws.com/leases/x?tag=a&tag=b&one=1');
    const ours = await authenticate({ method: 'GET', url, headers: {} }, { kind: 'iam', region: 'eu-west-1' });
    const sdk = await new SignatureV4({ service: 'execute-api', region: 'eu-west-1', credentials, sha256: Sha256 }).sign(
      new HttpRequest({ method: 'GET', protocol: 'https:', hostname: url.hostname, path: url.pathname, query: { tag: ['a', 'b'], one: '1' }, headers: { host: url.host } }),
    );
    expect(ours.authorization).toBe(sdk.headers.authorization);
    expect(ours).not.toHaveProperty('host');
    const first = await authenticate({ method: 'GET', url: new URL('https://abc.execute-api.eu-west-1.amazonaws.com/leases/x?tag=a&one=1'), headers: {} }, { kind: 'iam', region: 'eu-west-1' });
    expect(first.authorization).not.toBe(ours.authorization);
  });
});

describe('regionOfApiHost', () => {
  test('the region of an API Gateway host; nothing for any other host (LocalStack included)', () => {
    expect(regionOfApiHost('abc123.execute-api.ap-southeast-1.amazonaws.com')).toBe('ap-southeast-1');
    expect(regionOfApiHost('abc123.execute-api.localhost.localstack.cloud')).toBeUndefined();
    expect(regionOfApiHost('127.0.0.1')).toBeUndefined();
  });
});
