import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import UtilsModule from '@alicloud/openapi-core/dist/utils.js';
import { mustBeSigned } from '../../shared/auth/acs3.js';
import { alibabaAuthenticator, apiHostsFrom, hostAccepted, MAX_CLOCK_SKEW_MS, MAX_NONCE_LENGTH } from '../../shared/auth/alibaba.js';
import { createDynamoNonceStore, NONCE_LIFETIME_SECONDS, type NonceStore } from '../../shared/auth/nonces.js';
import { AuthenticationError } from '../../shared/errors.js';
import { fixedClock } from '../support/clock.js';
import { httpEvent } from '../support/events.js';

/**
 * The Alibaba contract's authenticator on requests signed by the official SDK's own signer: which key,
 * for which endpoint, when, and only once.
 */
const Utils = UtilsModule.default;
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const KEY = { accessKeyId: 'LTAIunit0001', secret: 'unit-secret-0123456789', workspaces: ['ws_a'] };
const ENDPOINT = 'abc123.execute-api.eu-west-1.amazonaws.com';

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function signedEvent(o: { host?: string; domainName?: string; date?: string; nonce?: string; body?: string; contentType?: string; sign?: (h: Record<string, string>) => Record<string, string> } = {}) {
  const body = o.body ?? 'FileName=a.txt&Md5=x&SizeInBytes=1';
  const hash = createHash('sha256').update(body).digest('hex');
  const headers: Record<string, string> = {
    host: o.host ?? ENDPOINT,
    'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
    'x-acs-action': 'ApplyFileUploadLease',
    'x-acs-version': '2023-12-29',
    'x-acs-date': o.date ?? isoSeconds(T0),
    'x-acs-signature-nonce': o.nonce ?? 'nonce-1',
    'x-acs-content-sha256': hash,
  };
  const signed = o.sign ? o.sign(headers) : headers;
  headers.authorization = Utils.getAuthorization({ pathname: '/ws_a/datacenter/category/default', method: 'POST', query: {}, headers: signed } as never, 'ACS3-HMAC-SHA256', hash, KEY.accessKeyId, KEY.secret);
  const event = httpEvent({ routeKey: 'POST /{WorkspaceId}/datacenter/category/{CategoryId}', rawPath: '/ws_a/datacenter/category/default', pathParameters: {}, headers, body });
  if (o.domainName) event.requestContext.domainName = o.domainName;
  return event;
}

function authenticator(hosts?: readonly string[]) {
  const used = new Set<string>();
  const nonces: NonceStore = { use: async (id, nonce) => !used.has(`${id}#${nonce}`) && !!used.add(`${id}#${nonce}`) };
  const clock = fixedClock(T0);
  const keys = { find: async (id: string) => (id === KEY.accessKeyId ? KEY : undefined) };
  return { authenticate: alibabaAuthenticator({ keys, nonces, clock, ...(hosts ? { hosts } : {}) }), clock, used };
}

async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthenticationError) return error.failure;
    throw error;
  }
  return 'accepted';
}

describe('ACS3 requests signed by the official SDK', () => {
  test('a fresh request by a known key, made for this endpoint: the caller and its workspaces', async () => {
    const { authenticate, used } = authenticator();
    expect(await authenticate(signedEvent())).toEqual({ kind: 'alibaba-key', accessKeyId: KEY.accessKeyId, workspaces: ['ws_a'] });
    expect([...used]).toEqual([`${KEY.accessKeyId}#nonce-1`]);
  });

  test('a request made for another host is refused before its nonce is spent, even with a valid signature', async () => {
    const { authenticate, used } = authenticator();
    // Sent here with the Host it was signed for (another endpoint, e.g. Alibaba's own), its signature verifies.
    expect(await failureOf(authenticate(signedEvent({ host: 'bailian.cn-beijing.aliyuncs.com', domainName: ENDPOINT })))).toBe('signature');
    expect(await failureOf(authenticate(signedEvent({ host: `${ENDPOINT}.evil.example`, domainName: ENDPOINT })))).toBe('signature');
    expect(used.size).toBe(0);
    // The Host compares as DNS does, without case.
    expect(await failureOf(authenticate(signedEvent({ host: ENDPOINT.toUpperCase(), domainName: ENDPOINT })))).toBe('accepted');
  });

  test('API_HOSTS adds names the broker is reached by (a proxy keeping the Host), beside its own endpoint', async () => {
    expect(apiHostsFrom({ API_HOSTS: ' API.Example.com , ,cdn.example.com:8443' })).toEqual(['api.example.com', 'cdn.example.com:8443']);
    expect(apiHostsFrom({})).toEqual([]);
    const { authenticate } = authenticator(apiHostsFrom({ API_HOSTS: 'api.example.com,proxy.example:8443' }));
    expect(await failureOf(authenticate(signedEvent({ host: 'api.example.com', domainName: ENDPOINT, nonce: 'a' })))).toBe('accepted');
    expect(await failureOf(authenticate(signedEvent({ host: 'proxy.example:8443', domainName: ENDPOINT, nonce: 'b' })))).toBe('accepted');
    expect(await failureOf(authenticate(signedEvent({ host: ENDPOINT, nonce: 'c' })))).toBe('accepted');
    expect(await failureOf(authenticate(signedEvent({ host: 'proxy.example:9000', domainName: ENDPOINT, nonce: 'd' })))).toBe('signature');
    expect(await failureOf(authenticate(signedEvent({ host: 'other.example.com', domainName: ENDPOINT, nonce: 'e' })))).toBe('signature');
  });

  test('a name accepted without a port stands for any port of it; one with a port for that port only; the name itself must match', () => {
    expect(hostAccepted('api.example.com', ['api.example.com'])).toBe(true);
    expect(hostAccepted('api.example.com:443', ['api.example.com'])).toBe(true);
    expect(hostAccepted('id.execute-api.localhost.localstack.cloud:4566', ['id.execute-api.localhost.localstack.cloud'])).toBe(true);
    expect(hostAccepted('api.example.com:8443', ['api.example.com:443'])).toBe(false);
    expect(hostAccepted('api.example.com', ['api.example.com:443'])).toBe(false);
    expect(hostAccepted('api.example.com.evil:443', ['api.example.com'])).toBe(false);
    expect(hostAccepted('evil-api.example.com', ['api.example.com'])).toBe(false);
    expect(hostAccepted('', ['api.example.com'])).toBe(false);
    expect(hostAccepted('api.example.com', [])).toBe(false);
  });

  test('content-type, host and every x-acs-* header must be signed: a body type swapped after signing cannot pass', async () => {
    expect(mustBeSigned({ host: 'h', 'content-type': 't', 'x-acs-date': 'd', accept: 'a', 'user-agent': 'u' }).sort()).toEqual(['content-type', 'host', 'x-acs-date']);
    expect(mustBeSigned({})).toEqual(['host']);
    const { authenticate, used } = authenticator();
    const withoutContentType = ({ 'content-type': _t, ...rest }: Record<string, string>) => rest;
    expect(await failureOf(authenticate(signedEvent({ sign: withoutContentType })))).toBe('malformed');
    const withoutHost = ({ host: _h, ...rest }: Record<string, string>) => rest;
    expect(await failureOf(authenticate(signedEvent({ sign: withoutHost })))).toBe('malformed');
    const withoutDate = ({ 'x-acs-date': _d, ...rest }: Record<string, string>) => rest;
    expect(await failureOf(authenticate(signedEvent({ sign: withoutDate })))).toBe('malformed');
    expect(used.size).toBe(0);
  });

  test('x-acs-date within 15 minutes either side of the clock; beyond, in the past or the future, expired', async () => {
    const { authenticate } = authenticator();
    expect(MAX_CLOCK_SKEW_MS).toBe(15 * 60_000);
    const at = (offsetMs: number, nonce: string) => failureOf(authenticate(signedEvent({ date: isoSeconds(T0 + offsetMs), nonce })));
    expect(await at(MAX_CLOCK_SKEW_MS, 'f1')).toBe('accepted');
    expect(await at(-MAX_CLOCK_SKEW_MS, 'p1')).toBe('accepted');
    expect(await at(MAX_CLOCK_SKEW_MS + 1000, 'f2')).toBe('expired');
    expect(await at(-MAX_CLOCK_SKEW_MS - 1000, 'p2')).toBe('expired');
    expect(await at(24 * 3600_000, 'f3')).toBe('expired');
    expect(await failureOf(authenticate(signedEvent({ date: '2026-11-30 12:00:00', nonce: 'x' })))).toBe('expired');
  });

  test('a nonce is single-use per key; missing or oversized is malformed; an unknown key is named as such', async () => {
    const { authenticate } = authenticator();
    expect(await failureOf(authenticate(signedEvent({ nonce: 'once' })))).toBe('accepted');
    expect(await failureOf(authenticate(signedEvent({ nonce: 'once' })))).toBe('nonce-used');
    expect(await failureOf(authenticate(signedEvent({ nonce: 'n'.repeat(MAX_NONCE_LENGTH) })))).toBe('accepted');
    expect(await failureOf(authenticate(signedEvent({ nonce: 'n'.repeat(MAX_NONCE_LENGTH + 1) })))).toBe('malformed');
    const noNonce = signedEvent({ sign: ({ 'x-acs-signature-nonce': _n, ...rest }) => rest });
    delete noNonce.headers['x-acs-signature-nonce'];
    expect(await failureOf(authenticate(noNonce))).toBe('malformed');
    const unknown = signedEvent();
    unknown.headers.authorization = unknown.headers.authorization!.replace(KEY.accessKeyId, 'LTAIunknown');
    expect(await failureOf(authenticate(unknown))).toBe('unknown-key');
    const missing = signedEvent();
    delete missing.headers.authorization;
    expect(await failureOf(authenticate(missing))).toBe('missing');
  });

  test('nonces outlive the whole window a signed request is accepted in (both sides of the skew)', async () => {
    expect(NONCE_LIFETIME_SECONDS * 1000).toBeGreaterThan(2 * MAX_CLOCK_SKEW_MS);
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const mock = mockClient(ddb);
    mock.on(PutCommand).resolves({});
    expect(await createDynamoNonceStore(ddb, 't').use('LTAIk', 'n-1', T0 + 500)).toBe(true);
    expect(mock.commandCalls(PutCommand)[0]!.args[0].input).toEqual({
      TableName: 't',
      Item: { leaseId: 'nonce#LTAIk#n-1', expiresAt: Math.ceil((T0 + 500) / 1000) + NONCE_LIFETIME_SECONDS },
      ConditionExpression: 'attribute_not_exists(leaseId)',
    });
    mock.on(PutCommand).rejects(Object.assign(new Error('taken'), { name: 'ConditionalCheckFailedException' }));
    expect(await createDynamoNonceStore(ddb, 't').use('LTAIk', 'n-1', T0)).toBe(false);
  });
});

describe("the local server's domainName, which unsigned Host values cannot choose", () => {
  test('the Host when it names this server (a loopback name or the listen address, with its port), else its own address', async () => {
    const { localDomainName } = await import('../../local/apigw.js');
    const server = { host: '127.0.0.1', port: 3000 };
    for (const host of ['127.0.0.1:3000', 'localhost:3000', 'LOCALHOST:3000', '[::1]:3000']) expect(localDomainName(host, server)).toBe(host.toLowerCase());
    for (const host of ['bailian.cn-beijing.aliyuncs.com', 'localhost:3001', 'localhost', '127.0.0.1', 'evil.example:3000', '[::1]', 'localhost:3000:1', '[::1', ''])
      expect(localDomainName(host, server)).toBe('127.0.0.1:3000');
    expect(localDomainName(undefined, server)).toBe('127.0.0.1:3000');
    // Bound to every address or to one IPv6 address; on port 80 a Host without a port is that port.
    expect(localDomainName('0.0.0.0:3000', { host: '0.0.0.0', port: 3000 })).toBe('0.0.0.0:3000');
    expect(localDomainName('evil:3000', { host: '0.0.0.0', port: 3000 })).toBe('127.0.0.1:3000');
    expect(localDomainName('[2001:db8::5]:3000', { host: '2001:db8::5', port: 3000 })).toBe('[2001:db8::5]:3000');
    expect(localDomainName('evil:3000', { host: '2001:db8::5', port: 3000 })).toBe('[2001:db8::5]:3000');
    expect(localDomainName('[::1]:3000', { host: '::', port: 3000 })).toBe('[::1]:3000');
    expect(localDomainName('localhost', { host: '127.0.0.1', port: 80 })).toBe('localhost');
    expect(localDomainName('broker.local:3000', { host: 'broker.local', port: 3000 })).toBe('broker.local:3000');
  });
});
