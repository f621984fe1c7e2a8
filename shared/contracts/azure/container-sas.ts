import { createHmac } from 'node:crypto';

/**
 * The minting side of the Blob front's container SAS (issue 23). The verifying side is the CloudFront
 * viewer-request function, infra/blob-front/viewer-request.js, plain JavaScript that cannot import this
 * module: both must build the same string to sign, which test/unit/blob-front/viewer-request.test.ts
 * checks by minting here and verifying there.
 *
 * It is shaped like an Azure service SAS for a container (the names azure-ai-ml keeps from `sasUri`), but
 * signed over a shorter string: `sp, st, se, /container, sv, sr`, HMAC-SHA256 with the front's key.
 */

/** The `sv` the front mints and answers with (`x-ms-version`). */
export const SAS_VERSION = '2025-01-05';

/** r = HEAD/GET a blob, c = create a blob, w = write a blob or its metadata. Always in this order. */
export type SasPermission = 'r' | 'c' | 'w';

export interface ContainerSasFields {
  /** The permission letters, a subset of `rcw` in that order. */
  readonly sp: string;
  /** ISO-8601 UTC with seconds; absent = valid from the start. */
  readonly st?: string | undefined;
  readonly se: string;
  /** The container: the Azure lease id, 32 lowercase hex. */
  readonly container: string;
  readonly sv: string;
  readonly sr: string;
}

export interface ContainerSasRequest {
  readonly container: string;
  readonly permissions: readonly SasPermission[];
  /** Epoch ms; written to the second, rounded down so the token never outlives what was asked. */
  readonly expiresAt: number;
  /** Epoch ms; optional `st`. */
  readonly startsAt?: number | undefined;
  /** The signing key as text; its UTF-8 bytes are the HMAC key. */
  readonly key: string;
}

export const CONTAINER_NAME = /^[0-9a-f]{32}$/;
const ORDER: readonly SasPermission[] = ['r', 'c', 'w'];

/** `2026-12-03T22:00:00Z`: Azure's SAS time format (no fraction). */
export function sasTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function containerSasStringToSign(fields: ContainerSasFields): string {
  return [fields.sp, fields.st ?? '', fields.se, `/${fields.container}`, fields.sv, fields.sr].join('\n');
}

export function signContainerSas(fields: ContainerSasFields, key: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(containerSasStringToSign(fields), 'utf8').digest('base64');
}

/** The SAS query (no leading `?`), values URL-encoded, ready to append to `https://front/{container}`. */
export function containerSasQuery(request: ContainerSasRequest): string {
  if (!CONTAINER_NAME.test(request.container)) throw new Error(`container must be 32 lowercase hex, got ${JSON.stringify(request.container)}`);
  if (!Number.isFinite(request.expiresAt)) throw new Error('expiresAt must be a finite epoch ms');
  const sp = ORDER.filter((p) => request.permissions.includes(p)).join('');
  if (sp === '') throw new Error('a SAS needs at least one permission');
  const fields: ContainerSasFields = {
    sv: SAS_VERSION,
    sr: 'c',
    sp,
    st: request.startsAt === undefined ? undefined : sasTime(request.startsAt),
    se: sasTime(request.expiresAt),
    container: request.container,
  };
  const params: Array<[string, string]> = [
    ['sv', fields.sv],
    ['sr', fields.sr],
    ['sp', fields.sp],
    ...(fields.st === undefined ? [] : [['st', fields.st] as [string, string]]),
    ['se', fields.se],
    ['sig', signContainerSas(fields, request.key)],
  ];
  return params.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
}
