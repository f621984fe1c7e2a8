/**
 * The Azure bearer-token boundary, pinned exactly: shared/auth/azure.ts (JWT verification against an OIDC
 * issuer's discovery document and JWKS: the https rule, discovery failures, the unknown-kid refresh and its
 * cooldown, the outage backoff and its cap, the Authorization header's shape, iss/aud/exp/nbf, oid versus sub,
 * the grant a principal gets) and the wiring around it (lambda-auth*.ts, contract-auth.ts). These tests exist
 * so that a change to any refusal (its kind, its message, its timing boundary t-1 versus t) is seen: the
 * issuer is a local server on 127.0.0.1 whose discovery document and key set each test controls, and time is
 * a fake Date (only Date: timers and sockets stay real), so every boundary is exact and nothing sleeps.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { azureAuthenticator, OUTAGE_FIRST_BACKOFF_MS, OUTAGE_MAX_BACKOFF_MS, UNKNOWN_KID_COOLDOWN_MS } from '../../shared/auth/azure.js';
import { parseAzureGrants } from '../../shared/auth/azure-grants.js';
import type { Authenticator } from '../../shared/auth/caller.js';
import { eitherScheme } from '../../shared/auth/contract-auth.js';
import { lambdaAuth } from '../../shared/auth/lambda-auth.js';
import { alibabaFromStack } from '../../shared/auth/lambda-auth-alibaba.js';
import { azureFromStack } from '../../shared/auth/lambda-auth-azure.js';
import { loadConfig } from '../../shared/config.js';
import { DependencyError } from '../../shared/errors.js';
import { fixedClock } from '../support/clock.js';
import { httpEvent } from '../support/events.js';

const AUDIENCE = 'api://broker';
const INVALID = 'The access token is invalid.';
const EXPIRED = 'The access token expiry UTC time is earlier than current UTC time.';
const NO_PRINCIPAL = 'The access token names no principal (oid or sub) as a string.';
const UNAVAILABLE = 'The service is temporarily unavailable. Retry the request later.';
/** A whole second, so that exp/nbf (seconds) line up with the fake clock. */
const T0 = 1_800_000_000_000;

/** Only Date is faked: jose's exp/nbf checks, its key-set cache and the unknown-kid cooldown all read it. */
function fakeDate(ms: number): void {
  jest.useFakeTimers({
    now: ms,
    doNotFake: [
      'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback',
      'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout',
    ],
  });
}
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

interface Keys {
  readonly k1: { privateKey: CryptoKey; jwk: JWK };
  readonly k2: { privateKey: CryptoKey; jwk: JWK };
}
let keys: Keys;
beforeAll(async () => {
  const pair = async (kid: string) => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
  };
  keys = { k1: await pair('k1'), k2: await pair('k2') };
});

/** A local issuer whose discovery answer, published keys and JWKS status the test sets; it logs each path asked. */
interface LocalIssuer {
  readonly base: string;
  readonly asked: string[];
  jwksFetches(): number;
  publish(...kids: (keyof Keys)[]): void;
  jwksStatus: number;
  discovery?: { status: number; body: unknown };
}
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function localIssuer(): Promise<LocalIssuer> {
  let published: (keyof Keys)[] = ['k1'];
  const state: LocalIssuer = {
    base: '',
    asked: [],
    jwksFetches: () => state.asked.filter((p) => p === '/jwks').length,
    publish: (...kids) => void (published = kids),
    jwksStatus: 200,
  };
  const server = createServer((req, res) => {
    state.asked.push(req.url!);
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.statusCode = state.discovery?.status ?? 200;
      return res.end(JSON.stringify(state.discovery ? state.discovery.body : { issuer: state.base, jwks_uri: `${state.base}/jwks` }));
    }
    if (req.url === '/jwks') {
      res.statusCode = state.jwksStatus;
      return res.end(JSON.stringify(state.jwksStatus === 200 ? { keys: published.map((kid) => keys[kid].jwk) } : {}));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { base: string }).base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** A token signed by `kid`'s key (k1 unless said), for the audience, expiring in 10 minutes, unless `claims` say otherwise. */
async function mint(iss: string, claims: JWTPayload = {}, kid: keyof Keys = 'k1', key?: CryptoKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss, aud: AUDIENCE, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(key ?? keys[kid].privateKey);
}

const event = (authorization?: string) =>
  httpEvent({ routeKey: 'GET /x', rawPath: '/x', pathParameters: {}, ...(authorization !== undefined ? { headers: { authorization } } : {}) });
const outcome = (promise: Promise<unknown>) => promise.then((value) => ({ ok: value }), (error: unknown) => ({ error }));
const refusal = async (authenticate: Authenticator, authorization?: string) => {
  const result = await outcome(authenticate(event(authorization)));
  if (!('error' in result)) throw new Error(`accepted: ${JSON.stringify(result.ok)}`);
  const error = result.error as Error & { failure?: string };
  return { type: error.constructor.name, failure: error.failure, message: error.message };
};
const principalOf = async (authenticate: Authenticator, token: string) => ((await authenticate(event(`Bearer ${token}`))) as { principal: string }).principal;
const noGrants = parseAzureGrants('[]', 'test');
const invalidToken = { type: 'AuthenticationError', failure: 'invalid-token', message: INVALID };

describe('azure.ts: the issuer must be https (http only when local mode allows it)', () => {
  test('an http issuer without allowHttpIssuer stops construction, naming the value', () => {
    expect(() => azureAuthenticator({ issuer: 'http://login.example/tenant', audience: AUDIENCE }, noGrants)).toThrow(
      new Error('JWT_ISSUER must be an https URL (got http://login.example/tenant)'),
    );
  });

  test('allowHttpIssuer admits http only, not any other scheme', () => {
    expect(() => azureAuthenticator({ issuer: 'ftp://login.example/', audience: AUDIENCE, allowHttpIssuer: true }, noGrants)).toThrow(
      new Error('JWT_ISSUER must be an https URL (got ftp://login.example/)'),
    );
    expect(() => azureAuthenticator({ issuer: 'ftp://login.example/', audience: AUDIENCE }, noGrants)).toThrow('JWT_ISSUER must be an https URL');
    expect(typeof azureAuthenticator({ issuer: 'http://login.example/', audience: AUDIENCE, allowHttpIssuer: true }, noGrants)).toBe('function');
    expect(typeof azureAuthenticator({ issuer: 'https://login.example/', audience: AUDIENCE }, noGrants)).toBe('function');
  });
});

describe('azure.ts: the Authorization header', () => {
  let issuer: LocalIssuer;
  let authenticate: Authenticator;
  beforeAll(async () => {
    issuer = await localIssuer();
    authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true }, noGrants);
  });

  test('no header is "missing", with ARM\'s message', async () => {
    const missing = { type: 'AuthenticationError', failure: 'missing', message: "Authentication failed. The 'Authorization' header is missing." };
    expect(await refusal(authenticate)).toEqual(missing);
    expect(await refusal(authenticate, '')).toEqual(missing);
  });

  test('anything but exactly "Bearer <one token>" is "malformed", before any token is looked at', async () => {
    const token = await mint(issuer.base, { sub: 'p' });
    const malformed = { type: 'AuthenticationError', failure: 'malformed', message: "Authentication failed. The 'Authorization' header is not a bearer token." };
    const headers = ['Basic abc', 'Bearer', 'Bearer ', `NotBearer ${token}`, `x Bearer ${token}`, `Bearer ${token} trailing`, `Bearer${token}`, ` Bearer ${token}`];
    for (const header of headers) {
      expect(await refusal(authenticate, header)).toEqual(malformed);
    }
  });

  test('the scheme is case-insensitive and any run of whitespace may separate it from the token', async () => {
    const token = await mint(issuer.base, { sub: 'p' });
    for (const header of [`Bearer ${token}`, `bearer ${token}`, `BEARER  ${token}`, `Bearer \t ${token}`]) {
      expect(await authenticate(event(header))).toEqual({ kind: 'azure-principal', principal: 'p', subscriptions: [], registries: [] });
    }
  });
});

describe('azure.ts: claims (iss exact, aud lists, exp and nbf with no clock tolerance, oid before sub)', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await localIssuer();
  });
  const withAudience = (audience: string | readonly string[]) => azureAuthenticator({ issuer: issuer.base, audience, allowHttpIssuer: true }, noGrants);

  test('exp equal to now is expired (ARM\'s expiry message); one second later it is valid', async () => {
    fakeDate(T0);
    const authenticate = withAudience(AUDIENCE);
    expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p', exp: T0 / 1000 })}`)).toEqual({ ...invalidToken, message: EXPIRED });
    expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p', exp: T0 / 1000 - 1 })}`)).toEqual({ ...invalidToken, message: EXPIRED });
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', exp: T0 / 1000 + 1 }))).toBe('p');
  });

  test('nbf one second in the future is not valid yet (the generic message); nbf equal to now is valid', async () => {
    fakeDate(T0);
    const authenticate = withAudience(AUDIENCE);
    expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p', nbf: T0 / 1000 + 1 })}`)).toEqual(invalidToken);
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', nbf: T0 / 1000 }))).toBe('p');
  });

  test('a token without exp, signed by an unpublished key, or with a wrong signature is "The access token is invalid."', async () => {
    const authenticate = withAudience(AUDIENCE);
    const forever = await new SignJWT({ iss: issuer.base, aud: AUDIENCE, sub: 'p' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(keys.k1.privateKey);
    expect(await refusal(authenticate, `Bearer ${forever}`)).toEqual(invalidToken);
    expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p' }, 'k1', keys.k2.privateKey)}`)).toEqual(invalidToken);
    expect(await refusal(authenticate, 'Bearer not.a.jwt')).toEqual(invalidToken);
  });

  test('iss must match the setting exactly: no added or dropped slash, no other path, no case change', async () => {
    const authenticate = withAudience(AUDIENCE);
    for (const iss of [`${issuer.base}/`, `${issuer.base}/other`, issuer.base.toUpperCase(), 'https://login.example/']) {
      expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p', iss })}`)).toEqual(invalidToken);
    }
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p' }))).toBe('p');
  });

  test('a comma-separated audience setting is trimmed: each listed audience is accepted, no other', async () => {
    const authenticate = withAudience(' aud-a , aud-b ');
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', aud: 'aud-a' }))).toBe('p');
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', aud: 'aud-b' }))).toBe('p');
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', aud: ['other', 'aud-b'] }))).toBe('p');
    for (const aud of ['aud-c', ' aud-b', ['other'], AUDIENCE]) {
      expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p', aud })}`)).toEqual(invalidToken);
    }
  });

  test('empty entries of the audience setting accept nothing: a token whose aud is "" is refused', async () => {
    const authenticate = withAudience('aud-a,, ,');
    expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p', aud: '' })}`)).toEqual(invalidToken);
    expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p', aud: ['', 'x'] })}`)).toEqual(invalidToken);
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', aud: 'aud-a' }))).toBe('p');
  });

  test('an audience given as a list is used as it is (entries trimmed)', async () => {
    const authenticate = withAudience(['aud-x', ' aud-y ']);
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', aud: 'aud-x' }))).toBe('p');
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', aud: 'aud-y' }))).toBe('p');
    expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p', aud: 'aud-z' })}`)).toEqual(invalidToken);
  });

  test('oid names the principal when present; sub only when there is no oid at all', async () => {
    const authenticate = withAudience(AUDIENCE);
    expect(await principalOf(authenticate, await mint(issuer.base, { oid: 'object-id', sub: 'subject' }))).toBe('object-id');
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'subject' }))).toBe('subject');
    expect(await principalOf(authenticate, await mint(issuer.base, { oid: 'object-id' }))).toBe('object-id');
  });

  test('a principal that is not a non-empty string is refused, never replaced by sub', async () => {
    const authenticate = withAudience(AUDIENCE);
    const noPrincipal = { ...invalidToken, message: NO_PRINCIPAL };
    for (const claims of [{}, { sub: '' }, { oid: '', sub: 'subject' }, { oid: 42, sub: 'subject' }, { oid: null, sub: 'subject' }, { oid: ['x'] }, { sub: 7 }]) {
      expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, claims as JWTPayload)}`)).toEqual(noPrincipal);
    }
  });

  test('the caller carries its grant; a principal without one gets empty lists', async () => {
    const grants = parseAzureGrants(JSON.stringify([{ principal: 'granted', subscriptions: ['SUB-1'], registries: ['sub-2/rg/reg'] }]), 'test');
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true }, grants);
    expect(await authenticate(event(`Bearer ${await mint(issuer.base, { oid: 'granted' })}`))).toEqual({
      kind: 'azure-principal',
      principal: 'granted',
      subscriptions: ['sub-1'],
      registries: ['sub-2/rg/reg'],
    });
    expect(await authenticate(event(`Bearer ${await mint(issuer.base, { oid: 'stranger' })}`))).toEqual({
      kind: 'azure-principal',
      principal: 'stranger',
      subscriptions: [],
      registries: [],
    });
  });
});

describe('azure.ts: discovery', () => {
  const dependencyFailure = async (authenticate: Authenticator, token: string) => {
    const result = await outcome(authenticate(event(`Bearer ${token}`)));
    expect(result).toHaveProperty('error');
    const error = (result as { error: DependencyError }).error;
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'identity-provider', throttled: true, message: UNAVAILABLE });
    return error.cause as Error;
  };

  test('an issuer with a trailing slash: discovery is asked at <issuer without the slash>/.well-known/openid-configuration, and iss keeps the slash', async () => {
    const issuer = await localIssuer();
    const authenticate = azureAuthenticator({ issuer: `${issuer.base}/`, audience: AUDIENCE, allowHttpIssuer: true }, noGrants);
    expect(await principalOf(authenticate, await mint(`${issuer.base}/`, { sub: 'p' }))).toBe('p');
    expect(issuer.asked).toEqual(['/.well-known/openid-configuration', '/jwks']);
  });

  test('discovery answering an error status is the provider failing (503), even with a usable body; the cause names URL and status', async () => {
    const issuer = await localIssuer();
    issuer.discovery = { status: 500, body: { issuer: issuer.base, jwks_uri: `${issuer.base}/jwks` } };
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true }, noGrants);
    const cause = await dependencyFailure(authenticate, await mint(issuer.base, { sub: 'p' }));
    expect(cause.message).toBe(`OIDC discovery ${issuer.base}/.well-known/openid-configuration answered 500`);
    expect(issuer.jwksFetches()).toBe(0);
  });

  test('a discovery document without jwks_uri is the provider failing; the cause says so', async () => {
    const issuer = await localIssuer();
    issuer.discovery = { status: 200, body: { issuer: issuer.base } };
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true }, noGrants);
    const cause = await dependencyFailure(authenticate, await mint(issuer.base, { sub: 'p' }));
    expect(cause.message).toBe(`OIDC discovery ${issuer.base}/.well-known/openid-configuration has no jwks_uri`);
  });

  test('discovery is bounded by a 5 s timeout: one that elapsed is the provider failing, the issuer never reached', async () => {
    const issuer = await localIssuer();
    const token = await mint(issuer.base, { sub: 'p' });
    const timeouts: number[] = [];
    // The timeout elapsing, without waiting for it: the signal the code asks for is already aborted by a timeout.
    jest.spyOn(AbortSignal, 'timeout').mockImplementation((ms: number) => {
      timeouts.push(ms);
      return AbortSignal.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    });
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true }, noGrants);
    const cause = await dependencyFailure(authenticate, token);
    expect(cause.name).toBe('TimeoutError');
    expect(timeouts).toEqual([5000]);
    expect(issuer.asked).toEqual([]);
  });
});

describe('azure.ts: the key set (unknown-kid cooldown)', () => {
  test('an unknown kid refreshes the key set once; another within 30 s is refused without asking; at exactly 30 s it refreshes again', async () => {
    fakeDate(T0);
    const issuer = await localIssuer();
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true }, noGrants);
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p' }, 'k1'))).toBe('p');
    expect(issuer.jwksFetches()).toBe(1);
    const rotated = await mint(issuer.base, { sub: 'q', exp: T0 / 1000 + 3600 }, 'k2');
    expect(await refusal(authenticate, `Bearer ${rotated}`)).toEqual(invalidToken);
    expect(issuer.jwksFetches()).toBe(2);
    // The issuer rotates k2 in; within the cooldown it is not asked.
    issuer.publish('k1', 'k2');
    jest.setSystemTime(T0 + UNKNOWN_KID_COOLDOWN_MS - 1);
    expect(await refusal(authenticate, `Bearer ${rotated}`)).toEqual(invalidToken);
    expect(issuer.jwksFetches()).toBe(2);
    jest.setSystemTime(T0 + UNKNOWN_KID_COOLDOWN_MS);
    expect(await principalOf(authenticate, rotated)).toBe('q');
    expect(issuer.jwksFetches()).toBe(3);
    // Known kids never wait for the cooldown.
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p', exp: T0 / 1000 + 3600 }, 'k1'))).toBe('p');
    expect(issuer.jwksFetches()).toBe(3);
  });

  test('with several published keys, tokens naming any one of them are accepted again and again without a refresh', async () => {
    fakeDate(T0);
    const issuer = await localIssuer();
    issuer.publish('k1', 'k2');
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true }, noGrants);
    for (let i = 0; i < 3; i++) {
      expect(await principalOf(authenticate, await mint(issuer.base, { sub: `p${i}` }, 'k1'))).toBe(`p${i}`);
      expect(await principalOf(authenticate, await mint(issuer.base, { sub: `q${i}` }, 'k2'))).toBe(`q${i}`);
    }
    expect(issuer.jwksFetches()).toBe(1);
  });

  test('an unknown kid is the caller\'s failure, not an outage: a valid token at the same instant is accepted', async () => {
    const issuer = await localIssuer();
    const t = 5_000_000;
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true, now: () => t }, noGrants);
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p' }))).toBe('p');
    expect(await refusal(authenticate, `Bearer ${await mint(issuer.base, { sub: 'p' }, 'k2')}`)).toEqual(invalidToken);
    expect(await principalOf(authenticate, await mint(issuer.base, { sub: 'p' }))).toBe('p');
  });
});

describe('azure.ts: outage backoff', () => {
  test('after a failure the issuer is not asked until exactly the backoff has passed; the backoff doubles to a 60 s cap and resets on success', async () => {
    const issuer = await localIssuer();
    let t = 10_000_000;
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true, now: () => t }, noGrants);
    const token = await mint(issuer.base, { sub: 'p' });
    const longLived = await mint(issuer.base, { sub: 'p', exp: Math.floor(Date.now() / 1000) + 3600 });
    issuer.jwksStatus = 503;
    const attempt = async () => {
      const result = await outcome(authenticate(event(`Bearer ${token}`)));
      expect((result as { error: unknown }).error).toMatchObject({ dependency: 'identity-provider', throttled: true });
      return issuer.jwksFetches();
    };
    expect(await attempt()).toBe(1);
    let waited = 0;
    let fetches = 1;
    for (const backoff of [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]) {
      t = 10_000_000 + waited + backoff - 1;
      expect(await attempt()).toBe(fetches);
      t = 10_000_000 + waited + backoff;
      expect(await attempt()).toBe(++fetches);
      waited += backoff;
    }
    expect(OUTAGE_FIRST_BACKOFF_MS).toBe(5_000);
    expect(OUTAGE_MAX_BACKOFF_MS).toBe(60_000);
    // Healed: the next attempt after the backoff succeeds, and a new failure starts again at the first backoff.
    issuer.jwksStatus = 200;
    t += 60_000;
    expect(await principalOf(authenticate, longLived)).toBe('p');
    expect(issuer.jwksFetches()).toBe(++fetches);
    // A new outage (an unknown kid's refresh failing) waits the first backoff again, not the capped one.
    issuer.jwksStatus = 503;
    const rotated = await mint(issuer.base, { sub: 'p' }, 'k2');
    expect(await outcome(authenticate(event(`Bearer ${rotated}`)))).toMatchObject({ error: { dependency: 'identity-provider' } });
    expect(issuer.jwksFetches()).toBe(++fetches);
    t += OUTAGE_FIRST_BACKOFF_MS - 1;
    expect(await attempt()).toBe(fetches);
    t += 1;
    expect(await principalOf(authenticate, longLived)).toBe('p'); // the cached key set, the issuer not asked
    expect(issuer.jwksFetches()).toBe(fetches);
  });

  test('the provider failure a request gets carries its cause (the key set\'s failed fetch)', async () => {
    const issuer = await localIssuer();
    issuer.jwksStatus = 503;
    const authenticate = azureAuthenticator({ issuer: issuer.base, audience: AUDIENCE, allowHttpIssuer: true, now: () => 0 }, noGrants);
    const result = await outcome(authenticate(event(`Bearer ${await mint(issuer.base, { sub: 'p' })}`)));
    const error = (result as { error: DependencyError }).error;
    expect(error).toBeInstanceOf(DependencyError);
    expect((error.cause as Error).message).toBe('Expected 200 OK from the JSON Web Key Set HTTP response');
  });
});

describe('contract-auth.ts and lambda-auth.ts: refusals name what is accepted', () => {
  const never: Authenticator = async () => {
    throw new Error('not this scheme');
  };

  test('the broker\'s routes, without a recognised scheme, say which schemes they take', async () => {
    const either = eitherScheme(never, never);
    const message = 'Authenticate with an ACS3-HMAC-SHA256 signature or a bearer token.';
    expect(await refusal(either)).toEqual({ type: 'AuthenticationError', failure: 'missing', message });
    expect(await refusal(either, 'Basic abc')).toEqual({ type: 'AuthenticationError', failure: 'malformed', message });
  });

  test('a scheme the Lambda did not bundle is refused as "malformed" with its own message', async () => {
    const config = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 't', UPLOAD_BUCKET_NAME: 'b' });
    const auth = lambdaAuth({ AUTH: 'contracts' }, {})!({ ddb: {} as never, config, clock: fixedClock(0) });
    const notHere = { type: 'AuthenticationError', failure: 'malformed', message: 'This route does not accept that authentication scheme.' };
    expect(await refusal(auth.azure, 'Bearer x')).toEqual(notHere);
    expect(await refusal(auth.alibaba, 'ACS3-HMAC-SHA256 x')).toEqual(notHere);
  });
});

describe('lambda-auth-alibaba.ts and lambda-auth-azure.ts: the stack\'s schemes read the table the config names', () => {
  const config = loadConfig({ AWS_REGION: 'eu-west-1', LEASE_TABLE_NAME: 'lease-table', UPLOAD_BUCKET_NAME: 'b' });
  const recordingDdb = () => {
    const gets: unknown[] = [];
    const ddb = {
      config: { credentials: { accessKeyId: 'a', secretAccessKey: 's' } },
      send: async (command: { input: unknown }) => (gets.push(command.input), { Item: undefined }),
    };
    return { gets, ddb: ddb as never };
  };

  test('ACS3: an access key is looked up in the lease table; one not there is "unknown-key"', async () => {
    const { gets, ddb } = recordingDdb();
    const authenticate = alibabaFromStack({ ddb, config, clock: fixedClock(0) }, { AUTH: 'contracts', ACCESS_KEYS_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:1:key/k' });
    const authorization = `ACS3-HMAC-SHA256 Credential=AKID1,SignedHeaders=content-type;host;x-acs-content-sha256;x-acs-date,Signature=${'a'.repeat(64)}`;
    const unknownKey = { type: 'AuthenticationError', failure: 'unknown-key', message: "The AccessKeyId 'AKID1' is not found." };
    expect(await refusal(authenticate, authorization)).toEqual(unknownKey);
    expect(gets).toEqual([{ TableName: 'lease-table', Key: { leaseId: 'accesskey#AKID1' }, ConsistentRead: true }]);
  });

  test('bearer: a verified principal\'s grant is looked up in the lease table', async () => {
    const issuer = await localIssuer();
    const https = 'https://login.test/tenant/';
    issuer.discovery = { status: 200, body: { issuer: https, jwks_uri: `${issuer.base}/jwks` } };
    // The stack's issuer is https: its discovery URL is answered by the local issuer.
    const realFetch = globalThis.fetch;
    jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => realFetch(String(input).replace('https://login.test/tenant', issuer.base), init));
    const { gets, ddb } = recordingDdb();
    const authenticate = azureFromStack({ ddb, config, clock: fixedClock(0) }, { AUTH: 'contracts', JWT_ISSUER: https, JWT_AUDIENCE: `other, ${AUDIENCE}` });
    const caller = await authenticate(event(`Bearer ${await mint(https, { oid: 'oid-1' })}`));
    expect(caller).toEqual({ kind: 'azure-principal', principal: 'oid-1', subscriptions: [], registries: [] });
    expect(gets).toEqual([{ TableName: 'lease-table', Key: { leaseId: 'grant#oid-1' }, ConsistentRead: true }]);
  });
});
