import { Readable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { bodyGuard } from '../../local/s3-auth/body-guard.js';
import type { KoaContext } from '../../local/emulator-packages.js';
import { verifySigV4 } from '../../local/s3-auth/sigv4.js';
import { S3Refusal } from '../../local/s3-auth/s3-refusal.js';
import { parseAcs3Authorization, verifyAcs3 } from '../../shared/auth/acs3.js';
import { azureAuthenticator, OUTAGE_FIRST_BACKOFF_MS } from '../../shared/auth/azure.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAzureGrants } from '../../shared/auth/azure-grants.js';
import { CACHE_ENTRIES, storedAzureGrants } from '../../shared/auth/stored-credentials.js';
import { AuthenticationError, DependencyError } from '../../shared/errors.js';
import { httpEvent } from '../support/events.js';
import { startTestIssuer } from '../support/oidc-issuer.js';
import { scratchDir } from '../support/scratch.js';

/** The edges a review found: each is a client error (or the provider's), never a 500 or a pass. */
describe('ACS3 parsing bounds what unauthenticated input can reach', () => {
  const sig = 'a'.repeat(64);
  test('a signed-header name that is an Object member, or an oversized id, is malformed, not a crash', () => {
    const auth = parseAcs3Authorization(`ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-content-sha256,Signature=${sig}`);
    const request = { method: 'GET', rawPath: '/', rawQuery: '', headers: { host: 'h', 'x-acs-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }, body: Buffer.alloc(0) };
    expect(() => verifyAcs3(request, { ...auth, signedHeaders: ['host', 'x-acs-content-sha256', 'constructor'] }, 'secret')).toThrow(expect.objectContaining({ failure: 'signature' }));
    for (const header of [
      `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;Constructor,Signature=${sig}`,
      `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;__proto__,Signature=${sig}`,
      `ACS3-HMAC-SHA256 Credential=${'A'.repeat(3000)},SignedHeaders=host,Signature=${sig}`,
    ]) {
      expect(() => parseAcs3Authorization(header)).toThrow(expect.objectContaining({ failure: 'malformed' }));
    }
  });
});

describe('bearer tokens', () => {
  const event = (token: string) => httpEvent({ routeKey: 'GET /x', rawPath: '/x', pathParameters: {}, headers: { authorization: `Bearer ${token}` } });
  const noGrants = parseAzureGrants('[]', 'test');

  test('a token without exp is refused; an unreachable key set is the provider failing (503), not the caller (401)', async () => {
    const issuer = await startTestIssuer('aud');
    try {
      const authenticate = azureAuthenticator({ issuer: issuer.issuer, audience: 'aud', allowHttpIssuer: true }, noGrants);
      const valid = await issuer.mint({ sub: 'p' });
      await expect(authenticate(event(valid))).resolves.toMatchObject({ kind: 'azure-principal', principal: 'p' });
      // The issuer's own key, issuer and audience, but no exp: still refused.
      const forever = await issuer.mint({ sub: 'p' }, { expiresIn: null });
      expect(JSON.parse(Buffer.from(forever.split('.')[1]!, 'base64url').toString())).not.toHaveProperty('exp');
      await expect(authenticate(event(forever))).rejects.toBeInstanceOf(AuthenticationError);

      issuer.failJwks();
      const rotated = await issuer.mint({ sub: 'p' }, { kid: 'new-kid', key: await issuer.foreignKey() });
      const failure = await authenticate(event(rotated)).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(DependencyError);
      expect(failure).toMatchObject({ dependency: 'identity-provider', throttled: true });
    } finally {
      await issuer.close();
    }
  });

  test('an identity-provider outage is not amplified: after a failure, requests (forged tokens too) are 503 without asking it, until a doubling backoff passes', async () => {
    const issuer = await startTestIssuer('aud');
    let t = 1_000_000;
    try {
      const authenticate = azureAuthenticator({ issuer: issuer.issuer, audience: 'aud', allowHttpIssuer: true, now: () => t }, noGrants);
      issuer.failJwks();
      const forged = await issuer.mint({ sub: 'p' }, { key: await issuer.foreignKey() });
      const first = await authenticate(event(forged)).catch((e: unknown) => e);
      expect(first).toMatchObject({ dependency: 'identity-provider', throttled: true });
      const fetches = issuer.jwksFetches();
      for (let i = 0; i < 20; i++) {
        expect(await authenticate(event(forged)).catch((e: unknown) => e)).toMatchObject({ dependency: 'identity-provider', throttled: true });
      }
      expect(issuer.jwksFetches()).toBe(fetches);
      // The backoff over: asked once more; failing again, the next wait is twice as long.
      t += OUTAGE_FIRST_BACKOFF_MS;
      await authenticate(event(forged)).catch(() => undefined);
      expect(issuer.jwksFetches()).toBe(fetches + 1);
      t += OUTAGE_FIRST_BACKOFF_MS;
      await authenticate(event(forged)).catch(() => undefined);
      expect(issuer.jwksFetches()).toBe(fetches + 1);
      t += OUTAGE_FIRST_BACKOFF_MS;
      await authenticate(event(forged)).catch(() => undefined);
      expect(issuer.jwksFetches()).toBe(fetches + 2);
    } finally {
      await issuer.close();
    }
  });

  test('a discovery document that cannot be had is retried after the backoff, not on every request', async () => {
    let asked = 0;
    const server = createServer((_req, res) => {
      asked++;
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let t = 1_000_000;
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const authenticate = azureAuthenticator({ issuer: url, audience: 'aud', allowHttpIssuer: true, now: () => t }, noGrants);
      const issuer = await startTestIssuer('aud');
      const token = await issuer.mint({ sub: 'p', iss: url });
      await issuer.close();
      for (let i = 0; i < 10; i++) expect(await authenticate(event(token)).catch((e: unknown) => e)).toMatchObject({ dependency: 'identity-provider' });
      expect(asked).toBe(1);
      t += OUTAGE_FIRST_BACKOFF_MS;
      await authenticate(event(token)).catch(() => undefined);
      expect(asked).toBe(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('the grants cache is bounded: ids chosen by callers cannot grow it without limit', async () => {
    let reads = 0;
    const ddb = { send: async () => (reads++, { Item: undefined }) } as never;
    const grants = storedAzureGrants({ ddb, tableName: 't' });
    for (let i = 0; i <= CACHE_ENTRIES; i++) await grants.grantFor(`p${i}`);
    expect(reads).toBe(CACHE_ENTRIES + 1);
    await grants.grantFor(`p${CACHE_ENTRIES}`); // the newest is kept
    expect(reads).toBe(CACHE_ENTRIES + 1);
    await grants.grantFor('p0'); // the oldest was evicted
    expect(reads).toBe(CACHE_ENTRIES + 2);
  });
});

describe('the embedded S3', () => {
  test('a presigned URL dated in the future beyond the clock skew is not valid yet', () => {
    const settings = { region: 'us-east-1', service: 's3', secretFor: () => 's', requireSignedAmzHeaders: true };
    const target =
      '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20990101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20990101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=' +
      'a'.repeat(64);
    const refusal = (() => {
      try {
        verifySigV4({ method: 'GET', target, headers: [['Host', 'h']] }, settings, { nowMs: Date.UTC(2026, 10, 30), payloadHash: () => 'UNSIGNED-PAYLOAD' });
      } catch (error) {
        return error as S3Refusal;
      }
      return undefined;
    })();
    expect(refusal).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Request is not valid yet' });
  });

  test('a body over the limit is refused as EntityTooLarge before it fills the disk', async () => {
    const guard = bodyGuard(scratchDir('ulb-spool-'), 10);
    const ctx = {
      method: 'PUT',
      req: Object.assign(Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), { headers: { 'content-length': '16' } }),
      request: {},
      response: {},
    } as unknown as KoaContext;
    let nextCalled = false;
    await guard(ctx, async () => void (nextCalled = true));
    expect(nextCalled).toBe(false);
    expect([ctx.status, String(ctx.body)]).toEqual([400, expect.stringContaining('<Code>EntityTooLarge</Code>')]);
  });
});
