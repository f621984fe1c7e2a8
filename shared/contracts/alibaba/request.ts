import { FileTooLargeError, ValidationError } from '../../errors.js';
import { validateAlibabaParams, validateAlibabaPath } from '../../generated/validators.js';
import { bodyText, header, mediaKind, parseJsonObject, requireMediaKind, singleValued } from '../../http/request.js';
import type { HttpEvent } from '../../http/types.js';
import { ALIBABA_MAX_FILE_BYTES, alibabaParamsSchema, alibabaPathSchema } from '../../schemas/alibaba.js';
import { validated } from '../../validation.js';

export interface AlibabaRequest {
  readonly workspaceId: string;
  readonly categoryId: string;
  readonly fileName: string;
  /** Lower-case hex. */
  readonly md5: string;
  readonly sizeInBytes: number;
}

const PARAMS = ['FileName', 'Md5', 'SizeInBytes'] as const;

/** Body parameters as the SDKs send them (form), as JSON, or nothing (all in the query string). */
function bodyParams(event: HttpEvent, names: readonly string[]): Record<string, unknown> {
  const text = bodyText(event);
  if (text.trim() === '') return {};
  const kind = mediaKind(event);
  requireMediaKind(kind, ['form', 'json'], header(event, 'content-type'));
  if (kind === 'form') return singleValued(new URLSearchParams(text), names, 'body');
  return parseJsonObject(text, 'request body') ?? {};
}

/** Query and body together, as Alibaba's ROA APIs take them; the same parameter in both must agree. */
export function alibabaParams(event: HttpEvent, names: readonly string[]): Record<string, unknown> {
  const query = singleValued(new URLSearchParams(event.rawQueryString), names, 'query');
  const body = bodyParams(event, names);
  const merged: Record<string, unknown> = { ...query };
  for (const name of names) {
    const value = body[name];
    if (value === undefined) continue;
    if (name in query && String(value) !== query[name]) {
      throw new ValidationError(`The parameter ${name} is given in the query and the body with different values.`, name, 'body', 'duplicate');
    }
    merged[name] = value;
  }
  return merged;
}

export function parseAlibabaRequest(event: HttpEvent): AlibabaRequest {
  const path = validated<typeof alibabaPathSchema>(validateAlibabaPath, event.pathParameters ?? {}, 'path');
  const params = validated<typeof alibabaParamsSchema>(validateAlibabaParams, alibabaParams(event, PARAMS), 'body');
  // A number in JSON, a numeric string in a form or query; at least 1 either way (the schema's minimum
  // and its digits-not-all-zeros pattern), so only the upper bound is left to check.
  const size = Number(params.SizeInBytes);
  if (size > ALIBABA_MAX_FILE_BYTES) throw new FileTooLargeError(size, ALIBABA_MAX_FILE_BYTES);
  return {
    workspaceId: path.WorkspaceId,
    categoryId: path.CategoryId,
    fileName: params.FileName,
    md5: params.Md5.toLowerCase(),
    sizeInBytes: size,
  };
}
