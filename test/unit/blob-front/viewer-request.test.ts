import { describe, expect, test } from '@jest/globals';
import { isFrontResponse, loadFrontFunctions, type FrontEvent, type FrontHeaders, type FrontRequest, type FrontResponse } from '../../../local/blob-front/sandbox.js';
import { containerSasQuery, SAS_VERSION, signContainerSas, type SasPermission } from '../../../shared/contracts/azure/container-sas.js';

/**
 * The Blob front's viewer-request function (infra/blob-front/viewer-request.js), run in the local
 * sandbox on CloudFront-shaped events, against SAS tokens minted by shared/contracts/azure/container-sas.ts:
 * what it lets through (rewritten onto S3), and what it answers itself.
 */
const KEY = 'front-signing-key-0123456789abcdef';
const MAX = 64 * 1024 * 1024;
const functions = loadFrontFunctions({ kvs: { 'sas-signing-key': KEY, 'max-blob-bytes': String(MAX) } });

const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';
const HOUR = 3_600_000;

const sas = (o: { container?: string; permissions?: SasPermission[]; expiresAt?: number; startsAt?: number; key?: string } = {}) =>
  containerSasQuery({ container: o.container ?? A, permissions: o.permissions ?? ['r', 'c', 'w'], expiresAt: o.expiresAt ?? Date.now() + HOUR, startsAt: o.startsAt, key: o.key ?? KEY });

/** A query string as CloudFront hands it to the function: names and values as in the URL. */
function querystring(query: string): FrontHeaders {
  const out: FrontHeaders = {};
  for (const part of query.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const [name, value] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    const seen = out[name];
    if (seen) (seen.multiValue ??= [{ value: seen.value }]).push({ value });
    else out[name] = { value };
  }
  return out;
}

function event(o: { method?: string; uri?: string; query?: string; headers?: Record<string, string> }): FrontEvent {
  const headers: FrontHeaders = {};
  for (const [name, value] of Object.entries(o.headers ?? {})) headers[name.toLowerCase()] = { value };
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', requestId: 'req-1' },
    viewer: { ip: '192.0.2.1' },
    request: { method: o.method ?? 'GET', uri: o.uri ?? `/${A}/code/file.txt`, querystring: querystring(o.query ?? sas()), headers, cookies: {} },
  };
}

const PUT_HEADERS = { 'x-ms-blob-type': 'BlockBlob', 'content-length': '5', 'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==', 'if-none-match': '*' };

async function run(o: Parameters<typeof event>[0]): Promise<FrontRequest | FrontResponse> {
  return functions.viewerRequest(event(o));
}

async function refusal(o: Parameters<typeof event>[0]): Promise<{ status: number; code: string | undefined; message: string; response: FrontResponse }> {
  const result = await run(o);
  if (!isFrontResponse(result)) throw new Error(`expected a response, the request was forwarded to ${result.uri}`);
  const body = typeof result.body === 'string' ? result.body : (result.body?.data ?? '');
  return { status: result.statusCode, code: result.headers['x-ms-error-code']?.value, message: /<Message>([^]*?)<\/Message>/.exec(body)?.[1] ?? '', response: result };
}

async function forwarded(o: Parameters<typeof event>[0]): Promise<FrontRequest> {
  const result = await run(o);
  if (isFrontResponse(result)) throw new Error(`expected the request forwarded, got ${result.statusCode} ${JSON.stringify(result.body)}`);
  return result;
}

/** Python's azure-storage re-quotes each SAS value with urllib's quote(value, safe='/'): '/' stays raw. */
function pythonRequoted(query: string): string {
  const quote = (text: string) =>
    [...Buffer.from(text)].map((b) => (/[A-Za-z0-9_.~/-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  return query
    .split('&')
    .map((part) => {
      const [name, value] = part.split('=') as [string, string];
      return `${name}=${quote(decodeURIComponent(value))}`;
    })
    .join('&');
}

/** A SAS whose signature has a '/', so the two encodings differ (fixed times: the same one every run). */
function sasWithSlash(): string {
  const base = Date.UTC(2099, 0, 1);
  for (let i = 0; i < 1000; i++) {
    const query = sas({ expiresAt: base + i * 1000 });
    if (query.includes('%2F')) return query;
  }
  throw new Error('no signature with a slash in 1000 tries');
}

describe('a valid SAS', () => {
  test('a SAS minted by containerSasQuery lets a GET through, onto tmp/<container>/ with the query stripped', async () => {
    const request = await forwarded({ query: sas() });
    expect(request.uri).toBe(`/tmp/${A}/code/file.txt`);
    expect(request.querystring).toEqual({});
    expect((await forwarded({ method: 'HEAD', query: `${sas({ permissions: ['r'] })}&timeout=30` })).querystring).toEqual({});
  });

  test('Python-style re-encoded values verify too (decoded once before the HMAC)', async () => {
    const original = sasWithSlash();
    const requoted = pythonRequoted(original);
    expect(requoted).not.toBe(original); // the test would prove nothing if the encodings agreed
    expect(/sig=[^&]*\//.test(requoted)).toBe(true);
    const request = await forwarded({ query: requoted });
    expect(request.uri).toBe(`/tmp/${A}/code/file.txt`);
  });

  test('a Put Blob is forwarded with its conditions and MD5, the blob content type mapped, authorization dropped', async () => {
    const request = await forwarded({
      method: 'PUT',
      uri: `/${A}/code/my%20file.txt`,
      headers: { ...PUT_HEADERS, 'x-ms-blob-content-type': 'text/plain', 'content-type': 'application/octet-stream', authorization: 'Bearer x' },
    });
    expect(request.uri).toBe(`/tmp/${A}/code/my%20file.txt`); // encoding kept as sent: S3 decodes it
    expect(request.querystring).toEqual({});
    expect(request.headers['content-type']).toEqual({ value: 'text/plain' });
    expect(request.headers['content-md5']).toEqual({ value: PUT_HEADERS['content-md5'] });
    expect(request.headers['if-none-match']).toEqual({ value: '*' });
    expect(request.headers['content-length']).toEqual({ value: '5' });
    expect(request.headers.authorization).toBeUndefined();
  });

  test('a SAS with a start time in the past verifies', async () => {
    const request = await forwarded({ query: sas({ startsAt: Date.now() - HOUR }) });
    expect(request.uri).toBe(`/tmp/${A}/code/file.txt`);
  });
});

describe('SAS refusals: 403 AuthenticationFailed, with why', () => {
  test('a tampered signature', async () => {
    const query = sas().replace(/sig=([^&]+)/, (_m, sig: string) => `sig=${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`);
    const r = await refusal({ query });
    expect([r.status, r.code]).toEqual([403, 'AuthenticationFailed']);
    expect(r.message).toContain('Signature did not match');
  });

  test('a SAS signed with another key', async () => {
    const r = await refusal({ query: sas({ key: 'another-key' }) });
    expect([r.status, r.code]).toEqual([403, 'AuthenticationFailed']);
    expect(r.message).not.toContain(KEY);
  });

  test('an expired se', async () => {
    const r = await refusal({ query: sas({ expiresAt: Date.now() - 1000 }) });
    expect([r.status, r.code]).toEqual([403, 'AuthenticationFailed']);
    expect(r.message).toContain('Signed expiry time has passed');
  });

  test('a future st', async () => {
    const r = await refusal({ query: sas({ startsAt: Date.now() + HOUR }) });
    expect([r.status, r.code]).toEqual([403, 'AuthenticationFailed']);
    expect(r.message).toContain('Signed start time is in the future');
  });

  test('sr=b (a blob SAS), even correctly signed', async () => {
    const se = new Date(Date.now() + HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
    const fields = { sv: SAS_VERSION, sr: 'b', sp: 'r', se, container: A };
    const query = `sv=${SAS_VERSION}&sr=b&sp=r&se=${encodeURIComponent(se)}&sig=${encodeURIComponent(signContainerSas(fields, KEY))}`;
    const r = await refusal({ query });
    expect([r.status, r.code]).toEqual([403, 'AuthenticationFailed']);
    expect(r.message).toContain('(sr)');
  });

  test("container A's SAS on container B's path", async () => {
    const r = await refusal({ uri: `/${B}/code/file.txt`, query: sas({ container: A }) });
    expect([r.status, r.code]).toEqual([403, 'AuthenticationFailed']);
    expect(r.message).toContain('Signature did not match');
  });

  test('no SAS at all, and a repeated sig', async () => {
    expect((await refusal({ query: '' })).code).toBe('AuthenticationFailed');
    const q = sas();
    expect((await refusal({ query: `${q}&${/sig=[^&]+/.exec(q)![0]}` })).code).toBe('AuthenticationFailed');
  });

  test('permission letters out of order or unknown', async () => {
    for (const sp of ['wr', 'rd', '']) {
      const r = await refusal({ query: sas().replace(/sp=[^&]+/, `sp=${sp}`) });
      expect([r.status, r.code]).toEqual([403, 'AuthenticationFailed']);
    }
  });

  test('a HEAD refusal has the code in x-ms-error-code and no body; every refusal has the Azure headers', async () => {
    const r = await refusal({ method: 'HEAD', query: sas({ expiresAt: Date.now() - 1000 }) });
    expect(r.response.body).toBeUndefined();
    expect(r.response.headers['x-ms-request-id']?.value).toBe('req-1');
    expect(r.response.headers['x-ms-version']?.value).toBe(SAS_VERSION);
    expect(r.response.headers['content-type']?.value).toBe('application/xml');
    const get = await refusal({ method: 'GET', query: sas({ expiresAt: Date.now() - 1000 }) });
    expect(typeof get.response.body === 'object' && get.response.body.data).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?><Error><Code>AuthenticationFailed<\/Code><Message>/);
  });
});

describe('paths that could leave the container: 403', () => {
  const cases: Array<[string, string]> = [
    ['a ".." segment', `/${A}/code/../../${B}/x`],
    ['an encoded ".." segment', `/${A}/code/%2e%2e/x`],
    ['a "." segment', `/${A}/./x`],
    ['an encoded slash', `/${A}/code%2Fx`],
    ['an encoded slash, lower case', `/${A}/code%2fx`],
    ['an encoded backslash', `/${A}/code%5Cx`],
    ['a backslash', `/${A}/code\\x`],
    ['an empty segment', `/${A}//x`],
    ['a control character', `/${A}/code%00x`],
    ['no blob', `/${A}`],
    ['an empty blob', `/${A}/`],
    ['a container that is not a lease id', `/${A.toUpperCase()}/x`],
    ['a blob name over 1024 characters', `/${A}/${'a'.repeat(1025)}`],
  ];
  test.each(cases)('%s', async (_name, uri) => {
    const r = await refusal({ uri });
    expect([r.status, r.code]).toEqual([403, 'AuthenticationFailed']);
  });

  test('a blob name of exactly 1024 characters is fine', async () => {
    const request = await forwarded({ uri: `/${A}/${'a'.repeat(1024)}` });
    expect(request.uri).toBe(`/tmp/${A}/${'a'.repeat(1024)}`);
  });
});

describe('operations', () => {
  test('Put Blob without c or w: 403 AuthorizationPermissionMismatch', async () => {
    const r = await refusal({ method: 'PUT', query: sas({ permissions: ['r'] }), headers: PUT_HEADERS });
    expect([r.status, r.code]).toEqual([403, 'AuthorizationPermissionMismatch']);
  });

  test('Put Blob with c only is allowed; HEAD without r is not', async () => {
    await forwarded({ method: 'PUT', query: sas({ permissions: ['c'] }), headers: PUT_HEADERS });
    const r = await refusal({ method: 'HEAD', query: sas({ permissions: ['c', 'w'] }) });
    expect([r.status, r.code]).toEqual([403, 'AuthorizationPermissionMismatch']);
  });

  test('Set Blob Metadata is answered 200 here, not forwarded, with Azure headers', async () => {
    const r = await run({ method: 'PUT', query: `${sas()}&comp=metadata`, headers: { 'x-ms-meta-upload_status': 'completed', 'content-length': '0' } });
    expect(isFrontResponse(r)).toBe(true);
    const response = r as FrontResponse;
    expect(response.statusCode).toBe(200);
    expect(response.body).toBeUndefined();
    expect(response.headers.etag?.value).toMatch(/^"0x[0-9A-F]+"$/);
    expect(Number.isNaN(Date.parse(response.headers['last-modified']!.value))).toBe(false);
    expect(response.headers['x-ms-request-id']?.value).toBe('req-1');
    expect(response.headers['x-ms-version']?.value).toBe(SAS_VERSION);
    expect(response.headers['x-ms-request-server-encrypted']?.value).toBe('true');
  });

  test('Set Blob Metadata needs w', async () => {
    const r = await refusal({ method: 'PUT', query: `${sas({ permissions: ['r', 'c'] })}&comp=metadata` });
    expect([r.status, r.code]).toEqual([403, 'AuthorizationPermissionMismatch']);
  });

  test.each(['block', 'blocklist'])('comp=%s is refused with the per-file limit and what to do', async (comp) => {
    const r = await refusal({ method: 'PUT', query: `${sas()}&comp=${comp}&blockid=AAAA`, headers: { 'content-length': '4194304' } });
    expect([r.status, r.code]).toEqual([400, 'BlockUploadNotSupported']);
    expect(r.message).toContain(`${MAX} bytes (64 MiB)`);
    expect(r.message).toContain('block uploads are not supported');
    expect(r.message).toContain('s3-presigned');
  });

  test.each([
    ['DELETE', ''],
    ['POST', ''],
    ['GET', '&restype=container&comp=list'],
    ['PUT', '&restype=container'],
    ['GET', '&comp=metadata'],
  ])('%s %s is refused as unsupported, saying what is', async (method, extra) => {
    const r = await refusal({ method, query: `${sas()}${extra}`, headers: PUT_HEADERS });
    expect([r.status, r.code]).toEqual([400, 'UnsupportedOperation']);
    expect(r.message).toContain('Put Blob');
  });

  test.each(['Comp=block', 'c%6Fmp=block', 'snapshot=2026-01-01'])('an unknown query parameter (%s) is refused, not stripped', async (extra) => {
    const r = await refusal({ method: 'PUT', query: `${sas()}&${extra}`, headers: PUT_HEADERS });
    expect([r.status, r.code]).toEqual([400, 'UnsupportedOperation']);
  });

  test('Put Blob over max-blob-bytes: 413 naming the limit in bytes and MiB', async () => {
    const r = await refusal({ method: 'PUT', headers: { ...PUT_HEADERS, 'content-length': String(MAX + 1) } });
    expect([r.status, r.code]).toEqual([413, 'RequestBodyTooLarge']);
    expect(r.message).toContain(`${MAX} bytes (64 MiB)`);
  });

  test('Put Blob of exactly max-blob-bytes is forwarded', async () => {
    await forwarded({ method: 'PUT', headers: { ...PUT_HEADERS, 'content-length': String(MAX) } });
  });

  test('Put Blob without Content-Length: 411; without x-ms-blob-type or of another type: 400', async () => {
    const { 'content-length': _dropped, ...noLength } = PUT_HEADERS;
    expect(await refusal({ method: 'PUT', headers: noLength }).then((r) => [r.status, r.code])).toEqual([411, 'MissingContentLength']);
    const { 'x-ms-blob-type': _type, ...noType } = PUT_HEADERS;
    expect(await refusal({ method: 'PUT', headers: noType }).then((r) => [r.status, r.code])).toEqual([400, 'MissingRequiredHeader']);
    expect(await refusal({ method: 'PUT', headers: { ...PUT_HEADERS, 'x-ms-blob-type': 'AppendBlob' } }).then((r) => r.status)).toBe(400);
  });

  test('a store without its keys answers 500, and forwards nothing', async () => {
    const bare = loadFrontFunctions({ kvs: {} });
    const result = await bare.viewerRequest(event({ method: 'HEAD' }));
    expect(isFrontResponse(result) && result.statusCode).toBe(500);
  });
});

describe('every refusal, by its exact reason (each check on its own, not caught by a later one)', () => {
  const firstLine = (message: string) => message.split('\n')[0];
  const unsigned = (fields: Record<string, string>) => Object.entries(fields).map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('&');
  const SE = new Date(Date.now() + HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const valid = { sv: SAS_VERSION, sr: 'c', sp: 'rcw', se: SE, sig: 'x' };
  const without = (name: string) => unsigned(Object.fromEntries(Object.entries(valid).filter(([n]) => n !== name)));
  const PATH = 'The request URI is not a valid blob path.';
  const MISSING = 'The SAS is missing (sv, sr, sp, se and sig are required).';
  const PERMS = 'Signed permissions (sp) must be letters of "rcw", in that order.';
  const SEGMENT = 'The blob name has an empty, "." or ".." segment.';

  test.each([
    [`x/${A}/f`, PATH],
    [`/${A}/a%2Fb`, PATH],
    [`/${A}/a%5cb`, PATH],
    [`/${A}//b`, PATH],
    [`/${A}`, 'The URI names no blob.'],
    [`/${A}/`, 'The URI names no blob.'],
    [`/x${A}/f`, 'The container in the URI is not one this endpoint serves.'],
    [`/${A}x/f`, 'The container in the URI is not one this endpoint serves.'],
    [`/${A.slice(1)}/f`, 'The container in the URI is not one this endpoint serves.'],
    [`/${A}/%E0%A4%A`, 'The blob name is not valid percent-encoding.'],
    [`/${A}/${'a'.repeat(1025)}`, 'The blob name is longer than 1024 characters.'],
    [`/${A}/a%09b`, 'The blob name contains a control character or a backslash.'],
    [`/${A}/a/./b`, SEGMENT],
    [`/${A}/a/%2E%2E/b`, SEGMENT],
    [`/${A}/a/`, SEGMENT],
    [`/${A}/..`, SEGMENT],
  ])('path %s', async (uri, why) => {
    const r = await refusal({ uri });
    expect([r.status, r.code, firstLine(r.message)]).toEqual([403, 'AuthenticationFailed', `Server failed to authenticate the request. ${why}`]);
  });

  test('a name of exactly 1024 characters, in several segments, is a blob', async () => {
    expect((await forwarded({ uri: `/${A}/${'a'.repeat(1024)}` })).uri).toBe(`/tmp/${A}/${'a'.repeat(1024)}`);
    expect((await forwarded({ uri: `/${A}/a/b/c.d` })).uri).toBe(`/tmp/${A}/a/b/c.d`);
  });

  test.each([
    ['sv repeated', `${sas()}&sv=${SAS_VERSION}`, 'A SAS parameter is repeated or badly encoded.'],
    ['sig badly encoded', sas().replace(/sig=[^&]+/, 'sig=%E0%A4%A'), 'A SAS parameter is repeated or badly encoded.'],
    ['no sv', without('sv'), MISSING],
    ['no sig', without('sig'), MISSING],
    ['no se', without('se'), MISSING],
    ['no sp', without('sp'), MISSING],
    ['no sr', without('sr'), 'Signed resource (sr) must be c (a container SAS).'],
    ['sr=b', unsigned({ ...valid, sr: 'b' }), 'Signed resource (sr) must be c (a container SAS).'],
    ['sp empty', unsigned({ ...valid, sp: '' }), PERMS],
    ['sp out of order', unsigned({ ...valid, sp: 'wr' }), PERMS],
    ['sp with a foreign letter first', unsigned({ ...valid, sp: 'xr' }), PERMS],
    ['sp with a foreign letter last', unsigned({ ...valid, sp: 'rx' }), PERMS],
    ['se not a time', unsigned({ ...valid, se: 'tomorrow' }), 'Signed expiry (se) is not like 2026-12-03T22:00:00Z.'],
    ['se with a prefix', unsigned({ ...valid, se: `x${SE}` }), 'Signed expiry (se) is not like 2026-12-03T22:00:00Z.'],
    ['se with a suffix', unsigned({ ...valid, se: `${SE}x` }), 'Signed expiry (se) is not like 2026-12-03T22:00:00Z.'],
    ['st not a time', unsigned({ ...valid, st: 'yesterday' }), 'Signed start (st) is not like 2026-12-03T22:00:00Z.'],
    ['sig of another length', sas().replace(/sig=[^&]+/, 'sig=short'), 'Signature did not match.'],
  ])('SAS: %s', async (_label, query, why) => {
    const r = await refusal({ query });
    expect([r.status, r.code, firstLine(r.message)]).toEqual([403, 'AuthenticationFailed', `Server failed to authenticate the request. ${why}`]);
  });

  test('a truncated signature (a prefix of the right one) does not match', async () => {
    const query = sas();
    const sig = decodeURIComponent(/sig=([^&]+)/.exec(query)![1]!);
    for (const cut of [sig.slice(0, 10), sig.slice(0, -1), '']) {
      const r = await refusal({ query: query.replace(/sig=[^&]+/, `sig=${encodeURIComponent(cut)}`) });
      expect(r.status).toBe(403);
    }
  });

  test('one value given as a one-element multiValue is not a repetition', async () => {
    const e = event({});
    e.request.querystring.sv = { value: e.request.querystring.sv!.value, multiValue: [{ value: e.request.querystring.sv!.value }] };
    expect(isFrontResponse(await functions.viewerRequest(e))).toBe(false);
  });

  const SUPPORTED = 'Supported: Get Blob (GET), Get Blob Properties (HEAD), Put Blob (PUT, x-ms-blob-type: BlockBlob), Set Blob Metadata (PUT ?comp=metadata).';
  test.each([
    ['GET without r', { method: 'GET', query: sas({ permissions: ['c', 'w'] }) }, 403, 'AuthorizationPermissionMismatch', 'The SAS permissions (sp=cw) lack "r".'],
    ['Put Blob without c or w', { method: 'PUT', query: sas({ permissions: ['r'] }), headers: PUT_HEADERS }, 403, 'AuthorizationPermissionMismatch', 'The SAS permissions (sp=r) lack "c" or "w".'],
    ['Set Blob Metadata without w', { method: 'PUT', query: `comp=metadata&${sas({ permissions: ['r', 'c'] })}` }, 403, 'AuthorizationPermissionMismatch', 'The SAS permissions (sp=rc) lack "w".'],
    ['Put Blob without x-ms-blob-type', { method: 'PUT', headers: { 'content-length': '5' } }, 400, 'MissingRequiredHeader', 'Put Blob needs x-ms-blob-type.'],
    ['a page blob', { method: 'PUT', headers: { ...PUT_HEADERS, 'x-ms-blob-type': 'PageBlob' } }, 400, 'UnsupportedBlobType', `Only block blobs are supported. ${SUPPORTED}`],
    ['Put Blob without Content-Length', { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' } }, 411, 'MissingContentLength', 'Put Blob needs a Content-Length header.'],
    ['Content-Length with a prefix', { method: 'PUT', headers: { ...PUT_HEADERS, 'content-length': 'x5' } }, 400, 'InvalidHeaderValue', 'Content-Length is not a number.'],
    ['Content-Length with a suffix', { method: 'PUT', headers: { ...PUT_HEADERS, 'content-length': '5x' } }, 400, 'InvalidHeaderValue', 'Content-Length is not a number.'],
    ['Copy Blob', { method: 'PUT', headers: { ...PUT_HEADERS, 'x-ms-copy-source': 'https://elsewhere/x' } }, 400, 'UnsupportedOperation', `This PUT is not supported. ${SUPPORTED}`],
    ['Set Container Metadata', { method: 'PUT', query: `comp=metadata&restype=container&${sas()}` }, 400, 'UnsupportedOperation', `This PUT is not supported. ${SUPPORTED}`],
    ['List Blobs', { method: 'GET', query: `comp=list&${sas()}` }, 400, 'UnsupportedOperation', `This GET is not supported. ${SUPPORTED}`],
    ['Delete Blob', { method: 'DELETE' }, 400, 'UnsupportedOperation', `This DELETE is not supported. ${SUPPORTED}`],
    ['an unknown parameter with markup', { method: 'GET', query: `a<b>&c=1&${sas()}` }, 400, 'UnsupportedOperation', `Unknown query parameter a&lt;b&gt;. ${SUPPORTED}`],
    ['an unknown parameter', { method: 'GET', query: `x&amp=1&${sas()}` }, 400, 'UnsupportedOperation', `Unknown query parameter x. ${SUPPORTED}`],
  ] as const)('%s: %i %s', async (_label, o, status, code, why) => {
    const r = await refusal(o as Parameters<typeof event>[0]);
    expect([r.status, r.code, firstLine(r.message)]).toEqual([status, code, why]);
    expect(r.response.body).toMatchObject({ encoding: 'text' });
  });

  test('an ampersand in a refused name is escaped in the XML', async () => {
    const e = event({ method: 'GET' });
    e.request.querystring['a&b'] = { value: '1' };
    const r = await functions.viewerRequest(e);
    expect(JSON.stringify((r as FrontResponse).body)).toContain('Unknown query parameter a&amp;b.');
  });

  test('sp=w alone may put and set metadata; sp=c alone may put', async () => {
    expect((await forwarded({ method: 'PUT', query: sas({ permissions: ['w'] }), headers: PUT_HEADERS })).uri).toBe(`/tmp/${A}/code/file.txt`);
    expect((await forwarded({ method: 'PUT', query: sas({ permissions: ['c'] }), headers: PUT_HEADERS })).uri).toBe(`/tmp/${A}/code/file.txt`);
    const meta = await run({ method: 'PUT', query: `comp=metadata&${sas({ permissions: ['w'] })}` });
    expect(isFrontResponse(meta) && meta.statusCode).toBe(200);
  });

  test('a block upload is refused as such, with its block id', async () => {
    const r = await refusal({ method: 'PUT', query: `comp=block&blockid=QUFB&${sas()}`, headers: { 'content-length': '4' } });
    expect([r.status, r.code]).toEqual([400, 'BlockUploadNotSupported']);
  });

  test('a store without its keys: 500 InternalError saying which, for the SAS and for the size limit', async () => {
    const noKey = loadFrontFunctions({ kvs: { 'max-blob-bytes': '10' } });
    const noLimit = loadFrontFunctions({ kvs: { 'sas-signing-key': KEY } });
    const ask = async (fns: typeof functions, o: Parameters<typeof event>[0]) => {
      const res = (await fns.viewerRequest(event(o))) as FrontResponse;
      return [res.statusCode, res.headers['x-ms-error-code']?.value, /<Message>([^\n]*)/.exec(typeof res.body === 'string' ? res.body : res.body!.data)?.[1]];
    };
    expect(await ask(noKey, {})).toEqual([500, 'InternalError', 'The endpoint has no signing key configured.']);
    expect(await ask(noLimit, { method: 'PUT', headers: PUT_HEADERS })).toEqual([500, 'InternalError', 'The endpoint has no blob size limit configured.']);
    expect(await ask(noLimit, { method: 'PUT', query: `comp=blocklist&${sas()}` })).toEqual([500, 'InternalError', 'The endpoint has no blob size limit configured.']);
  });
});
