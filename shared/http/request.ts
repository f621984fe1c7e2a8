import { MalformedBodyError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';
import type { HttpEvent } from './types.js';

export type MediaKind = 'none' | 'json' | 'form' | 'other';

/**
 * A header by its lower-case name, before or after @middy/http-header-normalizer (which lower-cases
 * them for the handlers; an authenticator may also be given a raw event).
 */
export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

/** The body as text (JSON, form). */
export function bodyText(event: HttpEvent): string {
  if (event.body === undefined || event.body === null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** The body's exact bytes (what a signature covers). */
export const bodyBytes = (event: HttpEvent): Buffer =>
  event.body === undefined || event.body === null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

export function mediaKind(event: HttpEvent): MediaKind {
  const type = (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!type) return 'none';
  if (type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type)) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  return 'other';
}

/**
 * These APIs take bodies of a few kilobytes: larger or deeper JSON is refused before it is parsed, as
 * parsing (and walking) megabytes of nesting would hold the event loop for seconds.
 */
export const MAX_JSON_CHARS = 256 * 1024;
export const MAX_JSON_DEPTH = 32;

/** How deep arrays and objects nest in `text` (brackets inside strings do not count): one linear pass. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Why `text` is not to be parsed as JSON here (too large, too deep), or undefined: the bound every JSON input shares. */
export function jsonOutOfBounds(text: string): string | undefined {
  if (text.length > MAX_JSON_CHARS) return `is larger than ${MAX_JSON_CHARS} characters`;
  if (jsonDepth(text) > MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH} levels`;
  return undefined;
}

/** A JSON object body; `__proto__`/`constructor` keys are dropped so no client can touch prototypes. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> | null {
  const outOfBounds = jsonOutOfBounds(text);
  if (outOfBounds) throw new MalformedBodyError(`The ${what} ${outOfBounds}.`);
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => (key === '__proto__' || key === 'constructor' ? undefined : v));
  } catch {
    throw new MalformedBodyError(`The ${what} is not valid JSON.`);
  }
  // typeof null is 'object': a JSON null passes through as null.
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedBodyError(`The ${what} must be a JSON object.`);
  }
  return value as Record<string, unknown> | null;
}

/** Query or form parameters; a name given more than once with different values is refused. */
export function singleValued(
  params: URLSearchParams,
  names: readonly string[],
  location: 'query' | 'body',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const values = new Set(params.getAll(name));
    if (values.size > 1) {
      throw new ValidationError(`The parameter ${name} is given more than once with different values.`, name, location, 'duplicate');
    }
    const [value] = values;
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function requireMediaKind(kind: MediaKind, allowed: readonly MediaKind[], contentType: string | undefined): void {
  if (!allowed.includes(kind)) {
    throw new UnsupportedMediaTypeError(`The content type '${contentType ?? ''}' is not supported for this request.`);
  }
}
