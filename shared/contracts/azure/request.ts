import type { FromSchema } from 'json-schema-to-ts';
import { MissingApiVersionError, UnsupportedApiVersionError } from '../../errors.js';
import { validateAzurePath, validateAzureRequest } from '../../generated/validators.js';
import { bodyText, header, mediaKind, parseJsonObject, requireMediaKind, singleValued } from '../../http/request.js';
import type { HttpEvent } from '../../http/types.js';
import { AZURE_API_VERSIONS, azurePathSchema, azureRequestSchema } from '../../schemas/azure.js';
import { validated } from '../../validation.js';

type AzurePath = FromSchema<typeof azurePathSchema>;
type AzureBody = FromSchema<typeof azureRequestSchema>;

/** The code version a request is about. */
export interface AzureTarget {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly parentKind: 'workspaces' | 'registries';
  readonly parentName: string;
  readonly name: string;
  readonly version: string;
}

export interface AzureRequest extends AzureTarget {
  /** Undefined when the client sent none (or null or ""): a new GUID is used. */
  readonly pendingUploadId: string | undefined;
}

const API_VERSION_SHAPE = /^\d{4}-\d{2}-\d{2}(?:-preview)?$/;

function checkApiVersion(event: HttpEvent): void {
  const { 'api-version': apiVersion } = singleValued(new URLSearchParams(event.rawQueryString), ['api-version'], 'query');
  if (apiVersion === undefined || apiVersion === '') throw new MissingApiVersionError();
  if (!(AZURE_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new UnsupportedApiVersionError(apiVersion, AZURE_API_VERSIONS, !API_VERSION_SHAPE.test(apiVersion));
  }
}

function readBody(event: HttpEvent): AzureBody {
  const text = bodyText(event);
  if (text.trim() === '') return {};
  requireMediaKind(mediaKind(event), ['json', 'none'], header(event, 'content-type'));
  const body = parseJsonObject(text, 'request body') ?? {};
  return validated<typeof azureRequestSchema>(validateAzureRequest, body, 'body');
}

/** api-version, then the path, as ARM checks them first on every code version route. */
export function parseAzureTarget(event: HttpEvent): AzureTarget {
  checkApiVersion(event);
  const path = validated<typeof azurePathSchema>(validateAzurePath, event.pathParameters ?? {}, 'path') as AzurePath;
  const parentKind = path.registryName !== undefined ? 'registries' : 'workspaces';
  const parentName = path.registryName ?? path.workspaceName;
  // Every Azure route has one of the two in its path; a route without is a wiring mistake (500).
  if (parentName === undefined) throw new Error('route without workspaceName or registryName');
  return {
    subscriptionId: path.subscriptionId,
    resourceGroupName: path.resourceGroupName,
    parentKind,
    parentName,
    name: path.name,
    version: path.version,
  };
}

/** Validates everything the contract documents, in ARM's order: api-version, path, then body. */
export function parseAzureRequest(event: HttpEvent): AzureRequest {
  const target = parseAzureTarget(event);
  const body = readBody(event);
  return { ...target, pendingUploadId: body.pendingUploadId || undefined };
}
