import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { createServer } from 'node:http';
import { localAuth } from '../../local/auth-settings.js';
import { startLocalBroker } from '../../local/server.js';
import { accessKeysFileIn, azureGrantsFileIn, devIssuerFileIn } from '../../local/data-files.js';
import { DEV_AUDIENCE, startDevIssuer, type DevIssuer } from '../../local/dev-issuer/server.js';
import { MAX_DEV_TOKEN_SECONDS, mintDevToken } from '../../local/dev-issuer/token.js';
import { lifetimeSeconds, run as devToken, USAGE } from '../../scripts/dev-token.js';
import { ConfigError } from '../../shared/config.js';
import { AZURE_PATH, API_VERSION, postJson, startTestBroker, type TestBroker } from '../support/local-broker.js';
import { scratchDir } from '../support/scratch.js';

/**
 * JWT_ISSUER=dev: the local mode's development OpenID issuer and `npm run dev-token`. Tokens it mints
 * verify against what it publishes, survive a restart, and are what the broker's Azure authentication
 * takes; nothing but the public key is served.
 */
const dir = mkdtempSync(join(tmpdir(), 'ulb-dev-issuer-'));
const file = devIssuerFileIn(dir);
const now = () => Math.floor(Date.now() / 1000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the development issuer', () => {
  let issuer: DevIssuer;
  beforeAll(async () => {
    issuer = await startDevIssuer({ host: '127.0.0.1', port: 0, file, audience: 'aud-1' });
  });
  afterAll(() => issuer.close());

  test('publishes discovery and the public key only; the key file is owner-only and names issuer and audience', async () => {
    const discovery = (await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(discovery).toMatchObject({ issuer: issuer.issuer, jwks_uri: `${issuer.issuer}/jwks` });
    const jwks = (await (await fetch(discovery.jwks_uri!)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwks.keys[0]).not.toHaveProperty(secret);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ issuer: issuer.issuer, audience: 'aud-1' });
  });

  test('mints nothing over HTTP: other methods 405, other paths 404', async () => {
    expect((await fetch(`${issuer.issuer}/jwks`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${issuer.issuer}/token`)).status).toBe(404);
  });

  test('dev-token mints an RS256 token that verifies against the JWKS, with the principal as oid and sub', async () => {
    const t = now();
    const token = await devToken(['--principal', 'p-1', '--lifetime', '10m'], { DATA_DIR: dir }, t);
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${issuer.issuer}/jwks`)), { issuer: issuer.issuer, audience: 'aud-1', algorithms: ['RS256'] });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ oid: 'p-1', sub: 'p-1', iat: t, nbf: t, exp: t + 600 });
    expect(decodeJwt(await devToken(['--principal', 'p-1', '--audience', 'other'], { DATA_DIR: dir }, t))).toMatchObject({ aud: 'other', exp: t + 3600 });
  });

  test('the key outlives a restart on the same file: a token minted before verifies after', async () => {
    const token = await mintDevToken({ file, principal: 'p-2', lifetimeSeconds: 60, now: now() });
    const before = decodeProtectedHeader(token).kid;
    await issuer.close();
    issuer = await startDevIssuer({ host: '127.0.0.1', port: 0, file, audience: 'aud-1' });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${issuer.issuer}/jwks`)), { audience: 'aud-1' });
    expect(payload.oid).toBe('p-2');
    expect(JSON.parse(readFileSync(file, 'utf8')).kid).toBe(before);
  });
});

describe('npm run dev-token refusals', () => {
  test('no issuer started in that DATA_DIR: says how to start one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ulb-no-issuer-'));
    try {
      await expect(devToken(['--principal', 'p'], { DATA_DIR: empty }, now())).rejects.toThrow(
        new ConfigError(`no development issuer in ${devIssuerFileIn(empty)}: start the broker with AUTH=contracts JWT_ISSUER=dev first (same DATA_DIR)`),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('a key file that is not JSON, or holds no key: delete it', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, 'not json');
    await expect(mintDevToken({ file: broken, principal: 'p', lifetimeSeconds: 60, now: now() })).rejects.toThrow(`${broken} is not JSON: delete it and restart the broker`);
    writeFileSync(broken, '{"issuer":"http://127.0.0.1:1"}');
    await expect(mintDevToken({ file: broken, principal: 'p', lifetimeSeconds: 60, now: now() })).rejects.toThrow(`${broken} holds no development key`);
  });

  test.each([
    [['--lifetime', '1h'], '--principal <oid> is required'],
    [['--principal', 'p', '--lifetime', 'soon'], '--lifetime must be seconds or a number with s, m or h (e.g. 10m), got "soon"'],
    [['--principal', 'p', '--lifetime', '25h'], `--lifetime must be 1 to ${MAX_DEV_TOKEN_SECONDS} seconds, got 90000`],
    [['--principal', 'p', '--lifetime', '0'], `--lifetime must be 1 to ${MAX_DEV_TOKEN_SECONDS} seconds, got 0`],
    [['--principal', ' '], '--principal must not be empty'],
    [['--principal', 'p', '--bogus'], "Unknown option '--bogus'"],
    [['--principal', 'p', 'extra'], 'unexpected argument "extra" (--help lists the options)'],
  ])('%j → %s', async (argv, message) => {
    const error = await devToken(argv, { DATA_DIR: dir }, now()).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });

  test('--help prints the usage; lifetimes parse as seconds, minutes or hours', async () => {
    expect(await devToken(['--help'], { DATA_DIR: dir }, now())).toBe(USAGE);
    expect(USAGE).toMatch(/--principal <oid>[\s\S]*--audience <aud>[\s\S]*--lifetime/);
    expect([lifetimeSeconds('90'), lifetimeSeconds('90s'), lifetimeSeconds('10m'), lifetimeSeconds('2h')]).toEqual([90, 90, 600, 7200]);
  });
});

describe('AUTH=contracts settings in the local mode', () => {
  test('JWT_ISSUER is required, and JWT_AUDIENCE with an issuer of your own', () => {
    const data = scratchDir('ulb-auth-settings-');
    try {
      expect(() => localAuth({ AUTH: 'contracts' }, data)).toThrow(new ConfigError(
        'AUTH=contracts needs JWT_ISSUER: an OIDC issuer URL (with JWT_AUDIENCE), or JWT_ISSUER=dev for the embedded development issuer (npm run dev-token prints its tokens)',
      ));
      expect(() => localAuth({ AUTH: 'contracts', JWT_ISSUER: 'http://127.0.0.1:9' }, data)).toThrow(new ConfigError('AUTH=contracts with JWT_ISSUER=http://127.0.0.1:9 needs JWT_AUDIENCE (the audience its tokens carry)'));
      expect(() => localAuth({ AUTH: 'sometimes' }, data)).toThrow(new ConfigError('AUTH must be "none" or "contracts", got "sometimes"'));
      expect(localAuth({}, data)).toBeUndefined();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  test('keys and grants default to DATA_DIR, made empty and owner-only when missing; named files are used as they are', () => {
    const data = scratchDir('ulb-auth-settings-');
    try {
      const plan = localAuth({ AUTH: 'contracts', JWT_ISSUER: 'dev' }, data)!;
      expect(plan).toMatchObject({ keysFile: accessKeysFileIn(data), grantsFile: azureGrantsFileIn(data), audience: DEV_AUDIENCE, devIssuer: { audience: DEV_AUDIENCE } });
      expect(plan.issuer).toBeUndefined();
      for (const f of [plan.keysFile, plan.grantsFile]) {
        expect(readFileSync(f, 'utf8')).toBe('[]\n');
        expect((statSync(f).mode & 0o777).toString(8)).toBe('600');
      }
      expect(() => plan.build()).toThrow('JWT_ISSUER=dev: the development issuer was not started');
      // An existing file is kept as it is.
      writeFileSync(plan.keysFile, '[{"AccessKeyId":"LTAI1","AccessKeySecret":"0123456789abcdef","Workspaces":["ws"]}]');
      localAuth({ AUTH: 'contracts', JWT_ISSUER: 'dev' }, data);
      expect(readFileSync(plan.keysFile, 'utf8')).toContain('LTAI1');
      const named = localAuth({ AUTH: 'contracts', JWT_ISSUER: 'http://127.0.0.1:9', JWT_AUDIENCE: 'a', ACCESS_KEYS_FILE: plan.keysFile, AZURE_GRANTS_FILE: plan.grantsFile }, join(data, 'elsewhere'))!;
      expect(named).toMatchObject({ keysFile: plan.keysFile, issuer: 'http://127.0.0.1:9', audience: 'a' });
      expect(named.devIssuer).toBeUndefined();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('a broker started with AUTH=contracts JWT_ISSUER=dev', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ env: { AUTH: 'contracts', JWT_ISSUER: 'dev' } });
    writeFileSync(azureGrantsFileIn(broker.dataDir), JSON.stringify([{ principal: 'granted', subscriptions: ['00000000-1111-2222-3333-444444444444'] }]));
  });
  afterAll(() => broker.dispose());
  const start = (token: string) => postJson(broker.url, `${AZURE_PATH()}?api-version=${API_VERSION}`, { pendingUploadId: `u-${Math.random()}` }, { authorization: `Bearer ${token}` });
  const mint = (principal: string, audience?: string) => mintDevToken({ file: devIssuerFileIn(broker.dataDir), principal, lifetimeSeconds: 300, now: now(), ...(audience ? { audience } : {}) });

  test('names its issuer in contractsAuth, and takes its tokens for a granted principal (grants followed after start)', async () => {
    expect(broker.contractsAuth).toMatchObject({ devIssuer: true, audience: DEV_AUDIENCE, issuer: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    const answer = await start(await mint('granted'));
    expect(answer.status).toBe(200);
    expect(answer.json.blobReferenceForConsumption.blobUri).toEqual(expect.any(String));
  });

  test('refuses its tokens for another audience (401) and for a principal without a grant (403)', async () => {
    expect((await start(await mint('granted', 'https://elsewhere.example/'))).json.error.code).toBe('InvalidAuthenticationToken');
    const ungranted = await start(await mint('nobody'));
    expect([ungranted.status, ungranted.json.error.code]).toEqual([403, 'AuthorizationFailed']);
  });
});

describe('a start that fails after its servers listen', () => {
  test('leaves none listening: emulators, Blob front and development issuer are closed again', async () => {
    const listening = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    // The gateway's port is taken: every server before it has started when it fails.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const data = mkdtempSync(join(tmpdir(), 'ulb-failed-start-'));
    const before = listening();
    try {
      const failed = startLocalBroker({ dataDir: data, port, sweepIntervalSeconds: 0, env: { AUTH: 'contracts', JWT_ISSUER: 'dev', AZURE_UPLOADS: 'blob-front' } });
      await expect(failed).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(listening()).toBe(before);
      // It did get as far as the issuer (its key file names the URL it listened on).
      expect(JSON.parse(readFileSync(devIssuerFileIn(data), 'utf8')).issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      rmSync(data, { recursive: true, force: true });
    }
  });
});
