import { ResourceNotFoundError, LeaseNotFoundError, ValidationError } from '../../errors.js';
import { validateAddFileParams, validateAlibabaFilePath, validateAlibabaWorkspacePath } from '../../generated/validators.js';
import { alibabaTenant, leasesOf, requireTenant } from '../../auth/tenancy.js';
import { callerOf, type HttpFn } from '../../api/chain.js';
import { json } from '../../http/respond.js';
import type { HttpEvent } from '../../http/types.js';
import type { BrokerContext } from '../../api/chain.js';
import { ALIBABA_LEASE_ID } from '../../ids.js';
import { logKeys } from '../../log.js';
import { consumeLease, deleteConsumed, readOwnLease, type ConsumeDeps } from '../../lease/consume.js';
import { isStored, type LeaseRecord } from '../../lease/model.js';
import type { addFileParamsSchema, alibabaFilePathSchema, alibabaWorkspacePathSchema } from '../../schemas/alibaba-files.js';
import { validated } from '../../validation.js';
import { jsonOutOfBounds } from '../../http/request.js';
import { alibabaParams } from './request.js';


/** A FileId names the lease it consumed, so a file needs no record of its own: `file_<hex>_<ms>`. */
export const fileIdFor = (leaseId: string): string => `file_${leaseId.replace('.', '_')}`;

export function leaseIdOfFile(fileId: string): string | undefined {
  const m = /^file_([0-9a-f]{32})_([0-9]{13})$/.exec(fileId);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

const ADD_FILE_PARAMS = ['LeaseId', 'Parser', 'CategoryId', 'CategoryType', 'Tags', 'ParserConfig', 'OriginalFileUrl'] as const;

/** The SDK sends arrays and objects as JSON text in form fields; a JSON body may carry them as they are. */
function jsonField<T>(value: unknown, name: string, accept: (v: unknown) => v is T): T | undefined {
  if (value === undefined) return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    // Bounded before parsing, as every JSON body is (http/request.ts).
    if (jsonOutOfBounds(value)) throw new ValidationError(`The parameter ${name} is too large or too deeply nested.`, name, 'body');
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ValidationError(`The parameter ${name} must be JSON.`, name, 'body');
    }
  }
  if (!accept(parsed)) throw new ValidationError(`The parameter ${name} has the wrong shape.`, name, 'body');
  return parsed;
}

const isTagList = (v: unknown): v is string[] => Array.isArray(v) && v.length <= 32 && v.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 128);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const success = (requestId: string, data: object) => json(200, { Code: 'Success', Data: data, Message: 'success', RequestId: requestId, Status: '200', Success: true });

/** AddFile: an UPLOADED lease of this workspace becomes a permanent file, once. */
export function alibabaAddFileHandler(deps: ConsumeDeps): HttpFn {
  return async (event, context) => {
    const { WorkspaceId } = validated<typeof alibabaWorkspacePathSchema>(validateAlibabaWorkspacePath, event.pathParameters ?? {}, 'path');
    const tenant = alibabaTenant(WorkspaceId);
    const caller = callerOf(context);
    requireTenant(caller, tenant);
    const params = validated<typeof addFileParamsSchema>(validateAddFileParams, alibabaParams(event, ADD_FILE_PARAMS), 'body');
    const tags = jsonField(params.Tags, 'Tags', isTagList) ?? [];
    const parserConfig = jsonField(params.ParserConfig, 'ParserConfig', isObject);
    // Ids of another shape were never handed out: the same answer as for an unknown lease.
    if (!ALIBABA_LEASE_ID.test(params.LeaseId)) throw new LeaseNotFoundError(params.LeaseId);
    logKeys({ leaseId: params.LeaseId });
    const fileId = fileIdFor(params.LeaseId);
    const attributes = {
      categoryId: params.CategoryId,
      parser: params.Parser,
      tags,
      ...(params.CategoryType !== undefined ? { categoryType: params.CategoryType } : {}),
      ...(parserConfig !== undefined ? { parserConfig } : {}),
      ...(params.OriginalFileUrl !== undefined ? { originalFileUrl: params.OriginalFileUrl } : {}),
    };
    // Not idempotent, as Alibaba documents it: the lease is used up by the first call.
    await consumeLease(deps, params.LeaseId, leasesOf(caller, tenant), { kind: 'alibaba-file', id: fileId, attributes }, { idempotent: false });
    return success(context.brokerRequestId, { FileId: fileId, Parser: params.Parser });
  };
}

/** The consumed lease behind a FileId of this workspace, or ResourceNotFoundError. */
async function fileLease(deps: ConsumeDeps, event: HttpEvent, context: BrokerContext): Promise<{ lease: LeaseRecord; fileId: string }> {
  const path = validated<typeof alibabaFilePathSchema>(validateAlibabaFilePath, event.pathParameters ?? {}, 'path');
  const tenant = alibabaTenant(path.WorkspaceId);
  const caller = callerOf(context);
  requireTenant(caller, tenant);
  const FileId = path.FileId.replace(/\/$/, '');
  const notFound = new ResourceNotFoundError('file', `The file '${FileId}' does not exist in this workspace.`);
  const leaseId = leaseIdOfFile(FileId);
  if (!leaseId) throw notFound;
  logKeys({ leaseId });
  let lease: LeaseRecord;
  try {
    lease = await readOwnLease(deps, leaseId, leasesOf(caller, tenant));
  } catch (error) {
    if (error instanceof LeaseNotFoundError) throw notFound;
    throw error;
  }
  if (lease.status !== 'CONSUMED' || lease.consumedBy?.kind !== 'alibaba-file' || lease.consumedBy.id !== FileId) throw notFound;
  return { lease, fileId: FileId };
}

/** `YYYY-MM-DD HH:mm:ss`, in UTC. */
const createTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

export function alibabaDescribeFileHandler(deps: ConsumeDeps): HttpFn {
  return async (event, context) => {
    const { lease, fileId } = await fileLease(deps, event, context);
    const attributes = (lease.consumedBy!.attributes ?? {}) as { categoryId?: string; parser?: string; tags?: string[] };
    const fileName = lease.fileName ?? '';
    return success(context.brokerRequestId, {
      FileId: fileId,
      FileName: fileName,
      FileType: fileName.includes('.') ? fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase() : '',
      SizeInBytes: lease.size ?? 0,
      // Nothing is parsed here: a file is ready once it has reached its permanent place.
      Status: isStored(lease) ? 'FILE_IS_READY' : 'INIT',
      CategoryId: attributes.categoryId ?? '',
      CreateTime: createTime(lease.consumedAt!),
      Parser: attributes.parser ?? '',
      Tags: attributes.tags ?? [],
    });
  };
}

export function alibabaDeleteFileHandler(deps: ConsumeDeps): HttpFn {
  return async (event, context) => {
    const { lease, fileId } = await fileLease(deps, event, context);
    const deleted = await deleteConsumed(deps, lease.leaseId, fileId);
    // Deleted by a concurrent call between our read and write: it is gone all the same, for this caller too.
    if (!deleted) throw new ResourceNotFoundError('file', `The file '${fileId}' does not exist in this workspace.`);
    return success(context.brokerRequestId, { FileId: fileId });
  };
}
