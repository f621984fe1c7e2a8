import cf from 'cloudfront';
import crypto from 'crypto';

// Blob front, viewer request (cloudfront-js-2.0, issue 23): checks the SAS of shared/contracts/azure/
// container-sas.ts, sends Get/HEAD/Put Blob to S3 tmp/<container>/, answers the rest in Azure XML.
// Documented runtime features only, under 10 KB: test/unit/blob-front/runtime-limits.test.ts.

// The KeyValueStore associated with this function (the only one, so no id).
const kvs = cf.kvs();
const VERSION = '2025-01-05';
const CONTAINER = /^[0-9a-f]{32}$/;
const PERMISSIONS = /^r?c?w?$/;
const SAS_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
// What could smuggle a separator or a hidden segment past the checks.
const BAD_RAW = /%2f|%5c|\\|\/\/|[\u0000-\u001f\u007f]/i;
const MAX_NAME = 1024;
// Query names Azure clients send. Others (comp in another case or encoding) are refused, not stripped:
// a block taken for Put Blob would replace the blob.
const KNOWN = ['sv', 'sr', 'sp', 'st', 'se', 'sig', 'comp', 'restype', 'blockid', 'timeout'];
const MIB = 1024 * 1024;
const SUPPORTED = 'Supported: Get Blob (GET), Get Blob Properties (HEAD), Put Blob (PUT, x-ms-blob-type: BlockBlob), Set Blob Metadata (PUT ?comp=metadata).';

function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// CloudFront's own id for the request (x-amz-cf-id), so a client's report can be traced.
function requestId(event) {
  return (event.context && event.context.requestId) || Date.now().toString(36) + Math.random().toString(36).slice(2);
}

function answer(event, status, headers) {
  headers['x-ms-request-id'] = { value: requestId(event) };
  headers['x-ms-version'] = { value: VERSION };
  return { statusCode: status, headers: headers };
}

// An Azure error: the code in x-ms-error-code (all a HEAD gets) and in the XML body.
function refuse(event, status, code, message) {
  const response = answer(event, status, { 'content-type': { value: 'application/xml' }, 'x-ms-error-code': { value: code } });
  if (event.request.method !== 'HEAD') {
    const detail = `${escapeXml(message)}\nRequestId:${response.headers['x-ms-request-id'].value}\nTime:${new Date().toISOString()}`;
    response.body = { encoding: 'text', data: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${detail}</Message></Error>` };
  }
  return response;
}

const unconfigured = (event, what) => refuse(event, 500, 'InternalError', `The endpoint has no ${what} configured.`);

const denied = (event, why) => refuse(event, 403, 'AuthenticationFailed', `Server failed to authenticate the request. ${why}`);

// A query value URL-decoded once (clients re-encode SAS values); null if absent, false if repeated or
// undecodable.
function param(query, name) {
  const entry = query[name];
  if (!entry) return null;
  if (entry.multiValue && entry.multiValue.length > 1) return false;
  try {
    return decodeURIComponent(entry.value);
  } catch (e) {
    return false;
  }
}

// `/{container}/{blob}`: the container and the blob path as sent, or a reason to refuse.
function parsePath(uri) {
  if (BAD_RAW.test(uri) || uri.charAt(0) !== '/') return { error: 'The request URI is not a valid blob path.' };
  const slash = uri.indexOf('/', 1);
  const container = slash < 0 ? uri.slice(1) : uri.slice(1, slash);
  if (!CONTAINER.test(container)) return { error: 'The container in the URI is not one this endpoint serves.' };
  const raw = slash < 0 ? '' : uri.slice(slash + 1);
  let name;
  try {
    name = decodeURIComponent(raw);
  } catch (e) {
    return { error: 'The blob name is not valid percent-encoding.' };
  }
  if (name === '') return { error: 'The URI names no blob.' };
  if (name.length > MAX_NAME) return { error: `The blob name is longer than ${MAX_NAME} characters.` };
  if (BAD_RAW.test(name)) return { error: 'The blob name contains a control character or a backslash.' };
  const segments = name.split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s === '' || s === '.' || s === '..') return { error: 'The blob name has an empty, "." or ".." segment.' };
  }
  return { container: container, raw: raw };
}

function sasTime(text) {
  return SAS_TIME.test(text) ? Date.parse(text) : NaN;
}

// Constant time (the runtime has no timingSafeEqual); the length, of a SHA-256 in base64, is no secret.
function sameText(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// The SAS's permission letters, or a response refusing it.
async function verifySas(event, container) {
  const q = event.request.querystring;
  const sv = param(q, 'sv');
  const sr = param(q, 'sr');
  const sp = param(q, 'sp');
  const st = param(q, 'st');
  const se = param(q, 'se');
  const sig = param(q, 'sig');
  if ([sv, sr, sp, st, se, sig].indexOf(false) >= 0) return denied(event, 'A SAS parameter is repeated or badly encoded.');
  if (!sv || !sig || !se || sp === null) return denied(event, 'The SAS is missing (sv, sr, sp, se and sig are required).');
  if (sr !== 'c') return denied(event, 'Signed resource (sr) must be c (a container SAS).');
  if (sp === '' || !PERMISSIONS.test(sp)) return denied(event, 'Signed permissions (sp) must be letters of "rcw", in that order.');
  const now = Date.now();
  const expiry = sasTime(se);
  if (isNaN(expiry)) return denied(event, 'Signed expiry (se) is not like 2026-12-03T22:00:00Z.');
  if (expiry <= now) return denied(event, 'Signed expiry time has passed.');
  if (st !== null) {
    const start = sasTime(st);
    if (isNaN(start)) return denied(event, 'Signed start (st) is not like 2026-12-03T22:00:00Z.');
    if (start > now) return denied(event, 'Signed start time is in the future.');
  }
  let key;
  try {
    key = await kvs.get('sas-signing-key');
  } catch (e) {
    return unconfigured(event, 'signing key');
  }
  const toSign = [sp, st === null ? '' : st, se, '/' + container, sv, sr].join('\n');
  const expected = crypto.createHmac('sha256', key).update(toSign).digest('base64');
  if (!sameText(expected, sig)) return denied(event, 'Signature did not match.');
  return sp;
}

// The per-blob limit; NaN when the store lacks it.
async function maxBlobBytes() {
  try {
    return Number(await kvs.get('max-blob-bytes'));
  } catch (e) {
    return NaN;
  }
}

function lacks(event, sp, letters) {
  return refuse(event, 403, 'AuthorizationPermissionMismatch', `The SAS permissions (sp=${sp}) lack ${letters}.`);
}

function limitText(max) {
  return `${max} bytes (${Math.floor((max / MIB) * 100) / 100} MiB)`;
}

function forward(request, path) {
  request.uri = `/tmp/${path.container}/${path.raw}`;
  request.querystring = {};
  const h = request.headers;
  if (h['x-ms-blob-content-type']) h['content-type'] = { value: h['x-ms-blob-content-type'].value };
  delete h['authorization'];
  return request;
}

async function handler(event) {
  const request = event.request;
  const path = parsePath(request.uri);
  if (path.error) return denied(event, path.error);
  const sp = await verifySas(event, path.container);
  if (typeof sp !== 'string') return sp;

  const method = request.method;
  const names = Object.keys(request.querystring);
  for (let i = 0; i < names.length; i++) {
    if (KNOWN.indexOf(names[i]) < 0) return refuse(event, 400, 'UnsupportedOperation', `Unknown query parameter ${names[i]}. ${SUPPORTED}`);
  }
  const comp = param(request.querystring, 'comp');
  const headers = request.headers;
  const plain = comp === null && !request.querystring['restype'];

  if ((method === 'GET' || method === 'HEAD') && plain) {
    return sp.indexOf('r') < 0 ? lacks(event, sp, '"r"') : forward(request, path);
  }
  if (method === 'PUT' && plain && !headers['x-ms-copy-source']) {
    if (!headers['x-ms-blob-type']) return refuse(event, 400, 'MissingRequiredHeader', 'Put Blob needs x-ms-blob-type.');
    if (headers['x-ms-blob-type'].value !== 'BlockBlob') return refuse(event, 400, 'UnsupportedBlobType', `Only block blobs are supported. ${SUPPORTED}`);
    if (sp.indexOf('c') < 0 && sp.indexOf('w') < 0) return lacks(event, sp, '"c" or "w"');
    const length = headers['content-length'];
    if (!length) return refuse(event, 411, 'MissingContentLength', 'Put Blob needs a Content-Length header.');
    if (!/^\d+$/.test(length.value)) return refuse(event, 400, 'InvalidHeaderValue', 'Content-Length is not a number.');
    const max = await maxBlobBytes();
    if (isNaN(max)) return unconfigured(event, 'blob size limit');
    if (Number(length.value) > max) return refuse(event, 413, 'RequestBodyTooLarge', `Blobs are limited to ${limitText(max)} here.`);
    return forward(request, path);
  }
  if (method === 'PUT' && comp === 'metadata' && !request.querystring['restype']) {
    if (sp.indexOf('w') < 0) return lacks(event, sp, '"w"');
    // Answered here: forwarded, the empty PUT would replace the blob with nothing. Not kept.
    return answer(event, 200, {
      etag: { value: `"0x${Date.now().toString(16).toUpperCase()}"` },
      'last-modified': { value: new Date().toUTCString() },
      'x-ms-request-server-encrypted': { value: 'true' },
    });
  }
  if (method === 'PUT' && (comp === 'block' || comp === 'blocklist')) {
    const max = await maxBlobBytes();
    if (isNaN(max)) return unconfigured(event, 'blob size limit');
    return refuse(event, 400, 'BlockUploadNotSupported', `This endpoint accepts whole-blob uploads (Put Blob) of up to ${limitText(max)} per file; block uploads are not supported. azure-ai-ml uploads files over 64 MiB in blocks: keep each file under 64 MiB and within the limit, or use the s3-presigned mode.`);
  }
  return refuse(event, 400, 'UnsupportedOperation', `This ${method} is not supported. ${SUPPORTED}`);
}
